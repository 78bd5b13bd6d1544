#!/usr/bin/env bash
# Shoal quick start: a real node with its embedded store doing real work.
# Builds shoal, initialises ./demo-data, runs the daemon on a free loopback port,
# publishes a STIX bundle, proves an entry, verifies the ledger and stops the node.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release -q -p shoal-node --bin shoal
B=target/release/shoal
DIR=${SHOAL_DEMO_DIR:-./demo-data}
rm -rf "$DIR"
$B init --data-dir "$DIR" --name demo --api-listen 127.0.0.1:0
LOG=$(mktemp)
$B node --data-dir "$DIR" >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do grep -q "shoal node ready" "$LOG" && break; sleep 0.1; done
grep "shoal node ready" "$LOG"
echo; echo "== publish node/tests/data/poison-ivy.json"
$B publish --data-dir "$DIR" node/tests/data/poison-ivy.json || true
echo; echo "== dry run: a bundle full of internal addresses (nothing is logged)"
OUT=$(mktemp)
$B publish --data-dir "$DIR" --dry-run protocol/tests/data/desensitize/lateral-movement.json >"$OUT" 2>&1 || true
sed -n '/change(s) by desensitization/,/objects as they would be signed/p' "$OUT" | head -n 15
rm -f "$OUT"
echo; echo "== privacy budget"
$B budget --data-dir "$DIR"
sleep 1.2   # let the node sign a checkpoint covering the new entries
echo; echo "== signed checkpoint"
$B ledger --data-dir "$DIR" checkpoint
echo; echo "== tlog-proof for entry 0"
$B ledger --data-dir "$DIR" proof 0
echo; echo "== verify the whole ledger"
$B ledger --data-dir "$DIR" verify
kill -TERM $PID; wait $PID || true
echo; echo "node stopped; data in $DIR"
