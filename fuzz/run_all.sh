#!/usr/bin/env bash
# Run every fuzz target, one at a time, for RUNS executions each (default 10 million),
# on the stable toolchain (no sanitizer), logging to LOG_DIR (default /tmp/fuzzlogs).
# Usage: fuzz/run_all.sh [target ...]   (no arguments: every target, in priority order)
# Environment: RUNS, LOG_DIR, NICE (default 10).
set -uo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-10000000}
LOG_DIR=${LOG_DIR:-/tmp/fuzzlogs}
NICE=${NICE:-10}
mkdir -p "$LOG_DIR"

# target:max_len:dictionary
ALL=(
  envelope:8192:json
  envelope_batch:16384:json
  wire_gossip:16384:json
  wire_sync_request:4096:note
  wire_sync_response:16384:note
  equivocation_proof:16384:note
  equivocation_json:32768:json
  admission_chain:16384:json
  admission_request:4096:json
  note:4096:note
  checkpoint:2048:note
  tlog_proof:8192:note
  stix_input:32768:json
  stix_pattern:4096:stix_pattern
  misp:16384:json
  config:8192:config
  json_jcs:8192:json
  witnessed:4096:note
)

want=("$@")
for spec in "${ALL[@]}"; do
  IFS=: read -r target max_len dict <<<"$spec"
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " =~ " $target " ]]; then
    continue
  fi
  mkdir -p "corpus/$target"
  echo "== $target (max_len $max_len, $RUNS runs) $(date -u +%FT%TZ)" | tee -a "$LOG_DIR/summary.log"
  start=$(date +%s)
  nice -n "$NICE" cargo fuzz run --sanitizer none "$target" -- \
    -runs="$RUNS" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -dict="dict/$dict.dict" -print_final_stats=1 \
    >"$LOG_DIR/$target.log" 2>&1
  rc=$?
  end=$(date +%s)
  echo "   exit $rc, $((end - start)) s; $(grep -E '^#[0-9]+' "$LOG_DIR/$target.log" | tail -1)" | tee -a "$LOG_DIR/summary.log"
  grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' "$LOG_DIR/$target.log" | tee -a "$LOG_DIR/summary.log"
done
