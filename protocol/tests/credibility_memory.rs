//! Memory of the credibility state, counted exactly with a counting global allocator
//! (requested bytes, without the allocator's own overhead): the evidence set a node keeps
//! for every item it holds, and the outcome counts and trust computation with many
//! members reporting the same indicators.
//!
//! One test function, so that no other test allocates while it counts. Run with
//! `--nocapture` to see the figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use shoal_crypto::PublicKey;
use shoal_protocol::credibility::{classify, compute, EvidenceSet, Graph, Statement, TrustParams};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed).saturating_add(by);
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only the counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        grew(new_size);
        // SAFETY: forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Reset the peak to the current level; returns it.
fn mark() -> usize {
    let now = live();
    PEAK.store(now, Ordering::Relaxed);
    now
}

fn key(n: u32) -> PublicKey {
    let mut k = [0u8; 32];
    k[..4].copy_from_slice(&n.to_be_bytes());
    PublicKey(k)
}

fn indicator(i: u64) -> Statement {
    let object = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{i:012x}"),
        "pattern": format!("[ipv4-addr:value = '203.0.{}.{}']", (i >> 8) & 0xff, i & 0xff),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    });
    match classify(&object) {
        Some(s) => s,
        None => panic!("an indicator is a claim"),
    }
}

#[test]
fn the_credibility_state_is_compact() {
    // One publisher, distinct indicators: what a node keeps per item it holds.
    let n = 20_000u64;
    let statements: Vec<Statement> = (0..n).map(indicator).collect();
    let before = mark();
    let mut set = EvidenceSet::new();
    for (i, s) in statements.into_iter().enumerate() {
        set.add_statement(key(1), i as u64, 1_700_000_000, s);
    }
    let per_claim = (live() - before) as f64 / n as f64;
    println!("evidence set: {per_claim:.0} B per claim ({n} distinct indicators, one publisher)");
    assert!(per_claim < 600.0, "{per_claim} B per claim");
    drop(set);

    // Hot indicators: 10 publishers, each indicator confirmed by every member.
    let members = 400u32;
    let mut set = EvidenceSet::new();
    for p in 0..10u32 {
        set.add_statement(key(p), 0, 1_700_000_000, indicator(u64::from(p)));
    }
    for m in 0..members {
        let ids = (0..10u64)
            .map(|i| format!("indicator--00000000-0000-4000-8000-{i:012x}"))
            .collect();
        set.add_statement(key(m), 1, 1_700_000_100, Statement::Confirms(ids));
    }
    let before = mark();
    let outcomes = set.outcomes();
    let pairs = outcomes.len();
    assert_eq!(pairs, (members as usize) * (members as usize - 1));
    let held = live() - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    println!(
        "outcomes: {pairs} pairs, {:.1} B per pair held, {:.1} B per pair at peak",
        held as f64 / pairs as f64,
        peak as f64 / pairs as f64
    );
    assert!(held as f64 / pairs as f64 <= 26.0);
    assert!(peak as f64 / pairs as f64 <= 60.0);
    let graph = Graph {
        anchors: [key(0)].into(),
        outcomes,
        ..Graph::default()
    };
    let before = mark();
    let trust = compute(&graph, &TrustParams::default());
    let peak = PEAK.load(Ordering::Relaxed) - before;
    println!(
        "trust: {} nodes, {:.1} B per pair at peak (besides the outcomes)",
        trust.trust.len(),
        peak as f64 / pairs as f64
    );
    assert!(peak as f64 / pairs as f64 <= 48.0);
}
