//! Fuzz target bodies for every Shoal decoder of untrusted bytes, shared by the libFuzzer
//! binaries in `fuzz/fuzz_targets/` (one `fuzz_target!` per function here) and by the
//! corpus regression test `node/tests/fuzz_regression.rs`, which includes this file with
//! `#[path]` and replays `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`.
//!
//! This module owns: the target functions (each `pub fn <target>(data: &[u8])`, listed in
//! [`TARGETS`]), the fixed keys and verifiers they check signatures against, and
//! [`seed_corpus`], which builds valid, correctly signed seed inputs for the binary and
//! signed formats (written out by the ignored test `generate_seed_corpus`).
//!
//! Every function decodes `data` and must never panic on any input. For anything that
//! decodes, it re-encodes and asserts the round-trip properties the codec documents
//! (`decode(encode(x)) == x`, and `encode(decode(b)) == b` for the canonical binary
//! codecs), then runs the verification a node would run next, so that a broken property
//! is a crash the fuzzer reports. It uses only crates the node crate also depends on.

use std::sync::OnceLock;

use shoal_config::Config;
use shoal_crypto::checkpoint::Checkpoint;
use shoal_crypto::cosignature::{verify_cosignature, Witness, WitnessPolicy, WitnessVerifier};
use shoal_crypto::hash::leaf_hash;
use shoal_crypto::merkle::{self, MemoryTree};
use shoal_crypto::note::{Note, Verifier};
use shoal_crypto::tlog_proof::TlogProof;
use shoal_crypto::NodeKey;
use shoal_protocol::admission::{
    verify_chain, verify_peer, AdmissionRequest, Chain, Grant, Revocation, RevocationSet, Role,
    TrustRoots,
};
use shoal_protocol::dp::PrivacyReceipt;
use shoal_protocol::envelope::{decode_verified_batch, Envelope, EnvelopeBody, Extension};
use shoal_protocol::provenance::{self, EquivocationProof, Included};
use shoal_protocol::stix::{self, pattern, StixObject};
use shoal_protocol::wire::{self, Control, Head, Hello, Leaf, SyncRequest, SyncResponse};
use shoal_protocol::{jcs, misp, witness, Tlp, DEFAULT_MAX_ENVELOPE_BYTES};

/// A target's body: decode one input, panic on a bug.
pub type Target = fn(&[u8]);

/// Every target: its name (the `fuzz_targets/<name>.rs` binary and the corpus directory)
/// and its body.
pub const TARGETS: &[(&str, Target)] = &[
    ("envelope", envelope),
    ("envelope_batch", envelope_batch),
    ("wire_gossip", wire_gossip),
    ("wire_sync_request", wire_sync_request),
    ("wire_sync_response", wire_sync_response),
    ("equivocation_proof", equivocation_proof),
    ("equivocation_json", equivocation_json),
    ("admission_chain", admission_chain),
    ("admission_request", admission_request),
    ("note", note),
    ("checkpoint", checkpoint),
    ("tlog_proof", tlog_proof),
    ("stix_input", stix_input),
    ("stix_pattern", stix_pattern),
    ("misp", misp_event),
    ("config", config),
    ("json_jcs", json_jcs),
    ("witnessed", witnessed),
];

/// Largest envelope the envelope decoders accept here (the node's default).
const MAX_ENVELOPE: usize = DEFAULT_MAX_ENVELOPE_BYTES;
/// Origin (and verifier name) of the fixed log whose notes and proofs are verified.
pub const LOG_ORIGIN: &str = "fuzz.example/log";
/// Name of the fixed witness whose cosignatures are verified.
pub const WITNESS_NAME: &str = "fuzz.example/witness";
/// The entry the seed tlog-proofs prove inclusion of.
pub const TLOG_ENTRY: &[u8] = b"fuzz entry 6";
/// "Now" for admission checks: inside the seed certificates' validity.
pub const NOW: u64 = 1_700_000_000;
/// Most items the batch target splits its input into.
const MAX_BATCH_ITEMS: usize = 64;

/// Keys, verifiers and trust roots the targets check signatures against (seeds from
/// [`seed_corpus`] are signed with the matching private keys).
struct Fixtures {
    log: Verifier,
    witness: WitnessVerifier,
    policy: WitnessPolicy,
    roots: TrustRoots,
    revocations: RevocationSet,
}

fn log_key() -> NodeKey {
    NodeKey::from_seed([7; 32])
}

fn witness_key() -> NodeKey {
    NodeKey::from_seed([9; 32])
}

fn root_key() -> NodeKey {
    NodeKey::from_seed([1; 32])
}

fn anchor_key() -> NodeKey {
    NodeKey::from_seed([2; 32])
}

fn member_key() -> NodeKey {
    NodeKey::from_seed([3; 32])
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let witness = WitnessVerifier::new(WITNESS_NAME, witness_key().public())
            .expect("fixed witness name is valid");
        let mut roots = TrustRoots::new();
        roots.insert(root_key().public(), "fuzz-root");
        Fixtures {
            log: Verifier::new(LOG_ORIGIN, log_key().public()).expect("fixed origin is valid"),
            policy: WitnessPolicy::new(vec![witness.clone()], 1).expect("one of one witness"),
            witness,
            roots,
            revocations: RevocationSet::new(),
        }
    })
}

// ----- envelopes -------------------------------------------------------------------------

/// `Envelope::decode` / `decode_verified`: canonical (`encode(decode(b)) == b`), exact
/// round trip, signature check agreeing with `verify`, then the carried object (JSON and
/// STIX validation) and privacy-receipt extensions.
pub fn envelope(data: &[u8]) {
    let Ok(env) = Envelope::decode(data, MAX_ENVELOPE) else {
        assert!(Envelope::decode_verified(data, MAX_ENVELOPE).is_err());
        return;
    };
    check_envelope(data, &env);
}

fn check_envelope(data: &[u8], env: &Envelope) {
    let encoded = env.encode().expect("a decoded envelope encodes");
    assert_eq!(encoded, data, "envelope encoding is not canonical");
    assert_eq!(Envelope::decode(&encoded, MAX_ENVELOPE).as_ref(), Ok(env));
    let verified = Envelope::decode_verified(data, MAX_ENVELOPE);
    assert_eq!(verified.is_ok(), env.verify().is_ok());
    if let Ok(verified) = verified {
        assert_eq!(&verified, env);
    }
    let _ = env.leaf_hash();
    if let Ok(object) = env.stix_object() {
        stix_object(&object);
    }
    for extension in &env.body.extensions {
        let _ = PrivacyReceipt::from_extension(extension);
    }
}

/// Split `data` into up to [`MAX_BATCH_ITEMS`] items, each a `u16` big-endian length
/// followed by that many bytes (the last one truncated to what is left).
fn split_items(data: &[u8]) -> Vec<&[u8]> {
    let mut items = Vec::new();
    let mut rest = data;
    while items.len() < MAX_BATCH_ITEMS {
        let Some((len, tail)) = rest.split_first_chunk::<2>() else {
            break;
        };
        let len = usize::from(u16::from_be_bytes(*len)).min(tail.len());
        let (item, tail) = tail.split_at(len);
        items.push(item);
        rest = tail;
    }
    items
}

/// `decode_verified_batch`: exactly the per-item results of `decode_verified`.
pub fn envelope_batch(data: &[u8]) {
    let items = split_items(data);
    let results = decode_verified_batch(&items, MAX_ENVELOPE);
    assert_eq!(results.len(), items.len());
    for (item, result) in items.iter().zip(&results) {
        assert_eq!(result, &Envelope::decode_verified(item, MAX_ENVELOPE));
    }
}

// ----- wire messages ---------------------------------------------------------------------

/// The payloads a node decodes next from a wire message: a signed checkpoint note.
fn nested_note(text: &str) {
    if let Ok(n) = Note::parse(text) {
        check_note(&n);
    }
}

/// `Control` (gossip) and `Hello` (admission exchange): exact round trips, then the
/// carried note, revocation, chain or equivocation proof.
pub fn wire_gossip(data: &[u8]) {
    let limits = wire::Limits::default();
    if let Ok(message) = Control::decode(data, &limits) {
        assert_eq!(message.encode(), data, "control encoding is not canonical");
        match &message {
            Control::Checkpoint { note, .. } => nested_note(note),
            Control::Revocation(blob) => admission_request(blob),
            Control::Admission(blob) => admission_chain(blob),
            Control::Equivocation(blob) => equivocation_proof(blob),
        }
    }
    if let Ok(hello) = Hello::decode(data, &limits) {
        assert_eq!(hello.encode(), data, "hello encoding is not canonical");
        if !hello.chain.is_empty() {
            admission_chain(&hello.chain);
        }
    }
}

/// `SyncRequest`: exact round trip, range rules, and the carried checkpoint note.
pub fn wire_sync_request(data: &[u8]) {
    let limits = wire::Limits::default();
    let Ok(request) = SyncRequest::decode(data, &limits) else {
        return;
    };
    assert_eq!(request.encode(), data, "request encoding is not canonical");
    match &request {
        SyncRequest::Leaves { ranges, .. } => {
            assert!(wire::check_ranges(ranges, &limits).is_ok());
        }
        SyncRequest::AddCheckpoint { note, .. } => nested_note(note),
        _ => {}
    }
}

/// `SyncResponse`: exact round trip, then the carried notes, chains and envelopes.
pub fn wire_sync_response(data: &[u8]) {
    let limits = wire::Limits::default();
    let Ok(response) = SyncResponse::decode(data, &limits) else {
        return;
    };
    assert_eq!(
        response.encode(),
        data,
        "response encoding is not canonical"
    );
    match &response {
        SyncResponse::Heads(heads) => {
            for head in heads {
                nested_note(&head.note);
            }
        }
        SyncResponse::Chains(chains) => {
            for chain in chains {
                admission_chain(chain);
            }
        }
        SyncResponse::Leaves { items, .. } => {
            let full: Vec<&[u8]> = items
                .iter()
                .filter_map(|(_, leaf)| match leaf {
                    Leaf::Full(bytes) => Some(bytes.as_slice()),
                    Leaf::Hash(_) => None,
                })
                .collect();
            for (bytes, result) in full.iter().zip(decode_verified_batch(&full, MAX_ENVELOPE)) {
                if let Ok(env) = result {
                    check_envelope(bytes, &env);
                }
            }
        }
        SyncResponse::Cosigned(note) => nested_note(note),
        _ => {}
    }
}

// ----- equivocation proofs ---------------------------------------------------------------

fn check_proof(proof: &EquivocationProof) {
    let limits = provenance::Limits::default();
    assert_eq!(
        EquivocationProof::decode(&proof.encode(), &limits).as_ref(),
        Ok(proof),
        "binary proof does not round-trip"
    );
    assert_eq!(
        EquivocationProof::from_json(&proof.to_json()).as_ref(),
        Ok(proof),
        "JSON proof does not round-trip"
    );
    let _ = proof.proof_id();
    let _ = proof.verify(MAX_ENVELOPE);
}

/// `EquivocationProof::decode` (binary, gossiped): canonical and exact round trip, the
/// JSON form round trip, and offline verification.
pub fn equivocation_proof(data: &[u8]) {
    let Ok(proof) = EquivocationProof::decode(data, &provenance::Limits::default()) else {
        return;
    };
    assert_eq!(
        proof.encode(),
        data,
        "binary proof encoding is not canonical"
    );
    check_proof(&proof);
}

/// `EquivocationProof::from_json` (API and export form): round trips and verification.
pub fn equivocation_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(proof) = EquivocationProof::from_json(text) {
        check_proof(&proof);
    }
}

// ----- admission -------------------------------------------------------------------------

/// `Chain::parse` (certificates via `Certificate::from_json_value`): the printed chain
/// parses back to itself, then `verify_chain` / `verify_peer` against a fixed trust root.
pub fn admission_chain(data: &[u8]) {
    let Ok(chain) = Chain::parse(data) else {
        return;
    };
    assert_eq!(Chain::parse(chain.to_json_pretty()).as_ref(), Ok(&chain));
    for cert in &chain.certificates {
        let _ = cert.signature_is_valid();
        let _ = cert.is_valid_at(NOW);
    }
    let f = fixtures();
    let admitted = verify_chain(&chain, &f.roots, &f.revocations, NOW);
    if let Some(leaf) = chain.leaf() {
        let peer = verify_peer(&leaf.subject, Some(&chain), &f.roots, &f.revocations, NOW);
        assert_eq!(admitted.is_ok(), peer.is_ok());
    }
    if let Ok(admitted) = admitted {
        let _ = admitted.may_receive(Tlp::Amber, "sector.energy");
    }
}

/// `AdmissionRequest::parse` and `Revocation::parse` (both verify their signature): the
/// printed document parses back to itself; a revocation is offered to a revocation set.
pub fn admission_request(data: &[u8]) {
    if let Ok(request) = AdmissionRequest::parse(data) {
        assert_eq!(
            AdmissionRequest::parse(request.to_json_pretty()).as_ref(),
            Ok(&request)
        );
    }
    if let Ok(revocation) = Revocation::parse(data) {
        assert_eq!(
            Revocation::parse(revocation.to_json_pretty()).as_ref(),
            Ok(&revocation)
        );
        let mut set = RevocationSet::new();
        let _ = set.insert(revocation, &fixtures().roots, None);
    }
}

// ----- notes, checkpoints, tlog-proofs ---------------------------------------------------

fn check_note(n: &Note) {
    assert_eq!(Note::parse(&n.to_text()).as_ref(), Ok(n), "note round trip");
    let f = fixtures();
    let _ = n.verify(&f.log);
    let _ = Checkpoint::from_note(n, &f.log);
    let _ = verify_cosignature(n, &f.witness);
    let _ = f.policy.check(n);
}

/// `Note::parse` with verification against the fixed log key and witness, and the key
/// formats `Verifier::parse` / `WitnessVerifier::parse` (vkeys).
pub fn note(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(n) = Note::parse(text) {
        check_note(&n);
    }
    if let Ok(v) = Verifier::parse(text) {
        assert_eq!(Verifier::parse(&v.to_vkey()).as_ref(), Ok(&v));
    }
    if let Ok(v) = WitnessVerifier::parse(text) {
        assert_eq!(WitnessVerifier::parse(&v.to_vkey()).as_ref(), Ok(&v));
    }
}

/// `Checkpoint::parse_body`: the printed body parses back to the same checkpoint (what
/// `Checkpoint::sign` relies on).
pub fn checkpoint(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cp) = Checkpoint::parse_body(text) {
        assert_eq!(Checkpoint::parse_body(&cp.to_body()).as_ref(), Ok(&cp));
    }
}

/// `TlogProof::parse`: round trip, then inclusion and witness-policy verification
/// against the fixed log and witness.
pub fn tlog_proof(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(proof) = TlogProof::parse(text) else {
        return;
    };
    assert_eq!(TlogProof::parse(&proof.to_text()).as_ref(), Ok(&proof));
    let f = fixtures();
    let _ = proof.verify(TLOG_ENTRY, &f.log);
    let _ = proof.verify_witnessed(TLOG_ENTRY, &f.log, &f.policy);
}

// ----- STIX, MISP ------------------------------------------------------------------------

fn stix_object(object: &StixObject) {
    let _ = shoal_protocol::object_tlp(object);
    if let Some(text) = object.json().get("pattern").and_then(|p| p.as_str()) {
        stix_pattern(text.as_bytes());
    }
    let Ok(canonical) = object.canonical_bytes() else {
        return;
    };
    match stix::parse_input(&canonical) {
        Ok(results) => {
            // The reader gives every JSON number one representation (`1.0` and `1` are
            // one RFC 8785 number), so the canonical form reads back as the same object.
            assert_eq!(results.len(), 1, "one canonical object is one object");
            let again = results.first().and_then(|r| r.as_ref().ok());
            assert_eq!(
                again,
                Some(object),
                "a valid object's canonical JSON is not the same valid object"
            );
        }
        Err(e) => panic!("a valid object's canonical JSON is not accepted: {e}"),
    }
}

/// `stix::parse_input` (a bundle or one object, strict JSON, STIX 2.1 validation); every
/// valid object's canonical JSON is a valid object with the same canonical JSON.
pub fn stix_input(data: &[u8]) {
    let Ok(results) = stix::parse_input(data) else {
        return;
    };
    for object in results.iter().flatten() {
        stix_object(object);
    }
}

/// `stix::pattern::parse`: `parse(print(ast)) == ast`, and `validate` agrees with `parse`.
pub fn stix_pattern(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = pattern::parse(text);
    assert_eq!(pattern::validate(text).is_ok(), parsed.is_ok());
    if let Ok(ast) = parsed {
        let printed = ast.to_string();
        assert_eq!(
            pattern::parse(&printed).as_ref(),
            Ok(&ast),
            "printed pattern {printed:?} does not parse back"
        );
    }
}

/// `misp::convert` (MISP event JSON import): the produced bundle is accepted as STIX input.
pub fn misp_event(data: &[u8]) {
    let Ok(conversion) = misp::convert(data, 1_700_000_000) else {
        return;
    };
    let bundle = serde_json::to_vec(&conversion.bundle).expect("a JSON value serialises");
    if let Err(e) = stix::parse_input(&bundle) {
        panic!("the converted bundle is not STIX input: {e}");
    }
}

// ----- config, JSON, witness state -------------------------------------------------------

/// `Config::from_toml_str` (parse + validate): the rendered config loads back to itself.
/// Also `parse_duration`, the config's duration syntax.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = shoal_config::parse_duration(text);
    if let Ok(cfg) = Config::from_toml_str(text, "fuzz") {
        let rendered = cfg.to_toml();
        match Config::from_toml_str(&rendered, "rendered") {
            Ok(again) => assert_eq!(again, cfg, "rendered config differs"),
            Err(e) => panic!("rendered config does not load: {e}\n{rendered}"),
        }
    }
}

/// RFC 8785 canonicalisation (`jcs::canonicalize`, used for every signed JSON document)
/// of arbitrary JSON: canonical output parses and canonicalises to itself. Also
/// `PrivacyReceipt::from_bytes` (envelope privacy-receipt extension; strict JSON via the
/// crate's `parse_strict`), whose accepted receipts round-trip through `to_bytes`.
pub fn json_jcs(data: &[u8]) {
    if let Ok(receipt) = PrivacyReceipt::from_bytes(data) {
        let bytes = receipt.to_bytes().expect("an accepted receipt encodes");
        assert_eq!(
            PrivacyReceipt::from_bytes(&bytes).ok().as_ref(),
            Some(&receipt)
        );
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(canonical) = jcs::canonicalize(&value) {
        let again: serde_json::Value =
            serde_json::from_slice(&canonical).expect("canonical JSON parses");
        assert_eq!(
            jcs::canonicalize(&again).as_ref(),
            Ok(&canonical),
            "canonicalisation is not idempotent"
        );
    }
}

/// `witness::decode_witnessed` (a witness's stored state): exact round trip.
pub fn witnessed(data: &[u8]) {
    if let Some(w) = witness::decode_witnessed(data) {
        assert_eq!(witness::encode_witnessed(&w), data);
    }
}

// ----- seeds -----------------------------------------------------------------------------

fn indicator(n: u64, tag: &str) -> StixObject {
    StixObject::try_from(serde_json::json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--8e2e2d2b-17d4-4cbf-938f-{n:012x}"),
        "created": "2016-04-06T20:03:48.000Z",
        "modified": "2016-04-06T20:03:48.000Z",
        "name": format!("indicator {n} from {tag}"),
        "pattern": "[ipv4-addr:value = '198.51.100.7'] AND [file:hashes.'SHA-256' = 'aa']",
        "pattern_type": "stix",
        "valid_from": "2016-01-01T00:00:00Z",
        "object_marking_refs": [Tlp::Green.marking_id()]
    }))
    .expect("seed indicator is valid")
}

/// A publisher ledger for seeds: envelopes, their tree, checkpoints of it.
#[derive(Clone)]
struct Log {
    key: NodeKey,
    origin: String,
    tree: MemoryTree,
    entries: Vec<Vec<u8>>,
}

impl Log {
    fn new(key: NodeKey, origin: String) -> Self {
        Self {
            key,
            origin,
            tree: MemoryTree::new(),
            entries: Vec::new(),
        }
    }

    fn publish(&mut self, n: usize, tag: &str, extensions: Vec<Extension>) {
        for _ in 0..n {
            let index = self.entries.len() as u64;
            let mut body = EnvelopeBody::for_object(
                self.key.public(),
                index,
                1_700_000_000 + index,
                Tlp::Green,
                "sector.energy",
                &indicator(index, tag),
            )
            .expect("seed body");
            body.extensions = extensions.clone();
            let bytes = body.sign_encoded(&self.key).expect("seed envelope");
            self.tree.append(leaf_hash(&bytes));
            self.entries.push(bytes);
        }
    }

    fn checkpoint_note(&self, size: u64) -> Note {
        Checkpoint {
            origin: self.origin.clone(),
            size,
            root: merkle::root(&self.tree, size).expect("size within tree"),
            extensions: vec![],
        }
        .sign(&self.key)
        .expect("seed checkpoint")
    }

    fn included(&self, index: u64, size: u64) -> Included {
        Included {
            checkpoint: self.checkpoint_note(size).to_text(),
            index,
            leaf_hash: self.tree.leaf(index).expect("index within tree"),
            proof: merkle::inclusion_proof(&self.tree, index, size).expect("inclusion proof"),
        }
    }
}

fn u16_items(items: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        let len = u16::try_from(item.len()).expect("seed item fits a u16 length");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(item);
    }
    out
}

/// A valid privacy receipt (envelope extension, JSON seed).
const RECEIPT: &[u8] = br#"{"epsilon":1.5,"entries":[{"clamped_max":999999999,"clamped_min":0,"epsilon":1.0,"mechanism":"discrete_laplace","path":"count","scale":2.0,"sensitivity":1},{"bucket_secs":86400,"epsilon":0,"mechanism":"time_bucket","path":"first_seen"},{"categories":["energy","water"],"epsilon":0.5,"mechanism":"randomized_response","path":"x_shoal_sector"}],"privacy_unit":"sighting","version":1}"#;

/// Valid, correctly signed seed inputs for the generated formats, as (target, bytes).
/// Text formats with real samples in the repository (STIX objects, patterns, MISP
/// events, configs) are seeded from those files instead (see `fuzz/README.md`).
pub fn seed_corpus() -> Vec<(&'static str, Vec<u8>)> {
    let mut seeds: Vec<(&'static str, Vec<u8>)> = Vec::new();

    // A log under the fixed origin (notes, tlog-proofs) with a witness cosignature.
    let key = log_key();
    let mut tree = MemoryTree::new();
    for i in 0u8..11 {
        let entry = format!("fuzz entry {i}");
        tree.append(leaf_hash(entry.as_bytes()));
    }
    let cp = Checkpoint {
        origin: LOG_ORIGIN.to_owned(),
        size: 11,
        root: tree.root(),
        extensions: vec!["ext line".to_owned()],
    };
    let signed = cp.sign(&key).expect("seed checkpoint");
    let mut cosigned = signed.clone();
    Witness::new(WITNESS_NAME, witness_key())
        .expect("witness")
        .add_cosignature(&mut cosigned, 1_700_000_100)
        .expect("cosign");
    seeds.push(("checkpoint", cp.to_body().into_bytes()));
    seeds.push(("note", signed.to_text().into_bytes()));
    seeds.push(("note", cosigned.to_text().into_bytes()));
    seeds.push(("note", fixtures().log.to_vkey().into_bytes()));
    seeds.push(("note", fixtures().witness.to_vkey().into_bytes()));
    let f = fixtures();
    verify_cosignature(&cosigned, &f.witness).expect("seed cosignature verifies");
    for (extra, checkpoint) in [(Some(vec![1, 2, 3]), &signed), (None, &cosigned)] {
        let proof = TlogProof {
            extra,
            index: 6,
            proof: merkle::inclusion_proof(&tree, 6, 11).expect("inclusion proof"),
            checkpoint: checkpoint.clone(),
        };
        proof
            .verify(TLOG_ENTRY, &f.log)
            .expect("seed tlog-proof verifies");
        if checkpoint == &cosigned {
            proof
                .verify_witnessed(TLOG_ENTRY, &f.log, &f.policy)
                .expect("seed tlog-proof is witnessed");
        }
        seeds.push(("tlog_proof", proof.to_text().into_bytes()));
    }

    // Envelopes: a plain one and one with a privacy receipt extension.
    let origin = format!(
        "shoal-fuzz/{}",
        key.public().peer_id().expect("peer id of a valid key")
    );
    let mut a = Log::new(key.clone(), origin);
    a.publish(3, "shared", vec![]);
    let mut b = a.clone();
    a.publish(3, "machine-a", vec![]);
    b.publish(2, "machine-b", vec![]);
    let receipt = Extension {
        kind: shoal_protocol::envelope::ExtensionKind::PRIVACY_RECEIPT,
        data: RECEIPT.to_vec(),
    };
    let mut c = Log::new(key.clone(), "x".to_owned());
    c.publish(1, "receipt", vec![receipt]);
    for entry in a.entries.iter().chain(&c.entries) {
        Envelope::decode_verified(entry, MAX_ENVELOPE).expect("seed envelope verifies");
    }
    PrivacyReceipt::from_bytes(RECEIPT).expect("seed receipt is valid");
    seeds.push(("envelope", a.entries[0].clone()));
    seeds.push(("envelope", c.entries[0].clone()));
    seeds.push((
        "envelope_batch",
        u16_items(&[&a.entries[0], &b.entries[4], &a.entries[1]]),
    ));
    let mut bad_sig = a.entries[2].clone();
    if let Some(last) = bad_sig.last_mut() {
        *last ^= 1;
    }
    seeds.push(("envelope_batch", u16_items(&[&a.entries[2], &bad_sig])));

    // Equivocation proofs of the three kinds, binary and JSON.
    let publisher = key.public();
    let proofs = [
        EquivocationProof::from_checkpoints(
            publisher,
            &a.checkpoint_note(5).to_text(),
            &b.checkpoint_note(5).to_text(),
        ),
        EquivocationProof::from_envelopes(&a.entries[4], &b.entries[4], MAX_ENVELOPE),
        EquivocationProof::from_inclusions(publisher, a.included(3, 6), b.included(3, 5)),
    ];
    let mut proof_bytes = Vec::new();
    for proof in proofs {
        let proof = proof.expect("seed proof").with_detected_at(1_700_000_123);
        proof.verify(MAX_ENVELOPE).expect("seed proof verifies");
        seeds.push(("equivocation_proof", proof.encode()));
        seeds.push(("equivocation_json", proof.to_json().into_bytes()));
        proof_bytes.push(proof.encode());
    }

    // Admission: request, chain root -> anchor -> member, revocation.
    let (root, anchor, member) = (root_key(), anchor_key(), member_key());
    let anchor_request = AdmissionRequest::new(&anchor, "Fuzz Anchor CERT", NOW - 10).expect("r");
    let member_request = AdmissionRequest::new(&member, "fuzz member", NOW - 5).expect("r");
    let grant = |role| {
        Grant::new(
            role,
            ["sector.energy", "sector.water"],
            NOW - 100,
            NOW + 1000,
        )
    };
    let anchor_chain = Chain::issue(
        &root,
        None,
        &anchor_request,
        &grant(Role::Anchor),
        NOW - 50,
        [1; 8],
    )
    .expect("anchor chain");
    let member_chain = Chain::issue(
        &anchor,
        Some(&anchor_chain),
        &member_request,
        &grant(Role::Member),
        NOW - 20,
        [2; 8],
    )
    .expect("member chain");
    let revocation =
        Revocation::issue(&root, member.public(), "key compromised", NOW).expect("revocation");
    verify_chain(&member_chain, &f.roots, &f.revocations, NOW).expect("seed chain admits");
    let chain_json = member_chain.to_json_pretty().into_bytes();
    let revocation_json = revocation.to_json_pretty().into_bytes();
    seeds.push(("admission_chain", chain_json.clone()));
    seeds.push((
        "admission_chain",
        anchor_chain.to_json_pretty().into_bytes(),
    ));
    seeds.push((
        "admission_request",
        member_request.to_json_pretty().into_bytes(),
    ));
    seeds.push(("admission_request", revocation_json.clone()));

    // Wire messages.
    let publisher_b = anchor.public();
    let note_text = a.checkpoint_note(6).to_text();
    let controls = [
        Control::Checkpoint {
            publisher,
            note: note_text.clone(),
        },
        Control::Revocation(revocation_json),
        Control::Admission(chain_json.clone()),
        Control::Equivocation(proof_bytes[2].clone()),
    ];
    for message in controls {
        seeds.push(("wire_gossip", message.encode()));
    }
    seeds.push((
        "wire_gossip",
        Hello {
            chain: chain_json.clone(),
        }
        .encode(),
    ));
    seeds.push(("wire_gossip", Hello::default().encode()));
    let consistency = merkle::consistency_proof(&a.tree, 3, 6).expect("consistency proof");
    let requests = [
        SyncRequest::Heads,
        SyncRequest::Leaves {
            publisher,
            ranges: vec![(0, 2), (4, 6)],
        },
        SyncRequest::Chains(vec![publisher, publisher_b]),
        SyncRequest::AddCheckpoint {
            publisher,
            old_size: 3,
            proof: consistency.clone(),
            note: note_text.clone(),
        },
        SyncRequest::Consistency {
            publisher,
            old_size: 3,
            new_size: 6,
        },
    ];
    for message in requests {
        seeds.push(("wire_sync_request", message.encode()));
    }
    let mut heads = vec![
        Head {
            publisher,
            note: note_text.clone(),
        },
        Head {
            publisher: publisher_b,
            note: cosigned.to_text(),
        },
    ];
    heads.sort_by_key(|h| h.publisher);
    let responses = [
        SyncResponse::Heads(heads),
        SyncResponse::Chains(vec![chain_json]),
        SyncResponse::Leaves {
            publisher,
            items: vec![
                (0, Leaf::Full(a.entries[0].clone())),
                (1, Leaf::Hash(leaf_hash(&a.entries[1]))),
                (2, Leaf::Full(a.entries[2].clone())),
            ],
        },
        SyncResponse::Refused("not admitted".to_owned()),
        SyncResponse::Cosigned(cosigned.to_text()),
        SyncResponse::Conflict(3),
        SyncResponse::Consistency {
            publisher,
            old_size: 3,
            new_size: 6,
            proof: consistency,
        },
    ];
    for message in responses {
        seeds.push(("wire_sync_response", message.encode()));
    }

    // Witness state, strict JSON, config.
    seeds.push((
        "witnessed",
        witness::encode_witnessed(&witness::Witnessed {
            size: 6,
            root: a.tree.root(),
            note: note_text,
        }),
    ));
    seeds.push((
        "json_jcs",
        br#"{"a":[1,-2.5e-3,true,null,"\u00e9\n"],"b":{"c":{}},"d":1e300}"#.to_vec(),
    ));
    seeds.push(("json_jcs", RECEIPT.to_vec()));
    seeds.push(("config", Config::default().to_toml().into_bytes()));
    seeds
}
