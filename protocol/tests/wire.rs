//! Wire messages: exact round trips (both ways), every decoding rejection as its own error,
//! cross-type tags refused, and arbitrary or mutated bytes that never panic and never
//! allocate beyond what the input and limits allow (measured with a counting allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use shoal_crypto::hash::leaf_hash;
use shoal_crypto::PublicKey;
use shoal_protocol::wire::{
    check_ranges, Control, Head, Hello, Leaf, Limits, SyncRequest, SyncResponse, WireError, MAGIC,
    MAX_REFUSAL_BYTES, TAG_ADMISSION, TAG_CHECKPOINT, TAG_HELLO, TAG_REFUSED, TAG_REQUEST_HEADS,
    TAG_REQUEST_LEAVES, TAG_RESPONSE_HEADS, TAG_RESPONSE_LEAVES, TAG_REVOCATION, WIRE_VERSION,
};

// ---------------------------------------------------------------------------------------
// A counting allocator: bytes requested by the current thread while tracking is on.

struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

fn record(size: usize) {
    let _ = TRACKING.try_with(|on| {
        if on.get() {
            let _ = ALLOCATED.try_with(|n| n.set(n.get().saturating_add(size)));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the bookkeeping only
// touches const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Run `f` and return its result with the bytes it allocated on this thread.
fn measure<T>(f: impl FnOnce() -> T) -> (T, usize) {
    ALLOCATED.with(|n| n.set(0));
    TRACKING.with(|on| on.set(true));
    let out = f();
    TRACKING.with(|on| on.set(false));
    (out, ALLOCATED.with(Cell::get))
}

/// Decode `bytes` as every message type; return the total bytes allocated.
fn decode_all(bytes: &[u8], limits: &Limits) -> usize {
    let (_, control) = measure(|| Control::decode(bytes, limits));
    let (_, hello) = measure(|| Hello::decode(bytes, limits));
    let (_, request) = measure(|| SyncRequest::decode(bytes, limits));
    let (_, response) = measure(|| SyncResponse::decode(bytes, limits));
    control.max(hello).max(request).max(response)
}

/// What a decoder may allocate for `len` input bytes: the in-memory form of the densest
/// encodable list is under 4× its encoding, plus copies of the payload bytes.
fn allocation_bound(len: usize) -> usize {
    len * 6 + 256
}

// ---------------------------------------------------------------------------------------
// Helpers.

const LIMITS: Limits = Limits {
    max_message_bytes: 16 << 20,
    max_leaves: 4096,
    max_ranges: 64,
    max_heads: 65_536,
    max_note_bytes: 8192,
    max_envelope_bytes: 1 << 20,
    max_blob_bytes: 65_536,
};

fn pk(b: u8) -> PublicKey {
    PublicKey([b; 32])
}

/// Magic ‖ version ‖ tag ‖ body.
fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.push(WIRE_VERSION);
    out.push(tag);
    out.extend_from_slice(body);
    out
}

fn u32be(n: u32) -> [u8; 4] {
    n.to_be_bytes()
}

fn leaves_request(ranges: &[(u64, u64)]) -> Vec<u8> {
    SyncRequest::Leaves {
        publisher: pk(1),
        ranges: ranges.to_vec(),
    }
    .encode()
}

fn request_err(bytes: &[u8]) -> WireError {
    SyncRequest::decode(bytes, &LIMITS).unwrap_err()
}

fn response_err(bytes: &[u8]) -> WireError {
    SyncResponse::decode(bytes, &LIMITS).unwrap_err()
}

// ---------------------------------------------------------------------------------------
// Strategies.

fn publisher() -> impl Strategy<Value = PublicKey> {
    any::<[u8; 32]>().prop_map(PublicKey)
}

fn note() -> impl Strategy<Value = String> {
    "\\PC{0,40}"
}

fn blob() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..64)
}

fn control() -> impl Strategy<Value = Control> {
    prop_oneof![
        (publisher(), note()).prop_map(|(publisher, note)| Control::Checkpoint { publisher, note }),
        blob().prop_map(Control::Revocation),
        blob().prop_map(Control::Admission),
        blob().prop_map(Control::Equivocation),
    ]
}

/// Valid ranges: sorted, non-empty, disjoint (possibly adjacent), ≤ 20 × 100 leaves.
fn ranges() -> impl Strategy<Value = Vec<(u64, u64)>> {
    (0u64..u64::MAX / 2, vec((0u64..100, 1u64..100), 1..20)).prop_map(|(mut at, steps)| {
        steps
            .into_iter()
            .map(|(gap, len)| {
                let from = at + gap;
                at = from + len;
                (from, at)
            })
            .collect()
    })
}

fn request() -> impl Strategy<Value = SyncRequest> {
    prop_oneof![
        Just(SyncRequest::Heads),
        (publisher(), ranges())
            .prop_map(|(publisher, ranges)| SyncRequest::Leaves { publisher, ranges }),
        proptest::collection::vec(publisher(), 0..8).prop_map(SyncRequest::Chains),
    ]
}

fn leaf() -> impl Strategy<Value = Leaf> {
    prop_oneof![
        blob().prop_map(Leaf::Full),
        any::<[u8; 32]>().prop_map(Leaf::Hash)
    ]
}

fn response() -> impl Strategy<Value = SyncResponse> {
    prop_oneof![
        btree_map(any::<[u8; 32]>(), note(), 0..8).prop_map(|heads| SyncResponse::Heads(
            heads
                .into_iter()
                .map(|(k, note)| Head {
                    publisher: PublicKey(k),
                    note
                })
                .collect()
        )),
        (publisher(), btree_map(any::<u64>(), leaf(), 0..8)).prop_map(|(publisher, items)| {
            SyncResponse::Leaves {
                publisher,
                items: items.into_iter().collect(),
            }
        }),
        "\\PC{0,60}".prop_map(SyncResponse::Refused),
        proptest::collection::vec(blob(), 0..8).prop_map(SyncResponse::Chains),
    ]
}

/// Any valid message of any type, encoded.
fn encoded_message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        control().prop_map(|m| m.encode()),
        blob().prop_map(|chain| Hello { chain }.encode()),
        request().prop_map(|m| m.encode()),
        response().prop_map(|m| m.encode()),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    /// Overwrite four bytes with `u32::MAX` (a hostile length or count prefix).
    MaxU32(usize),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        any::<usize>().prop_map(Mutation::MaxU32),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    if len == 0 {
        return;
    }
    match *m {
        Mutation::Set(i, b) => bytes[i % len] = b,
        Mutation::MaxU32(i) => {
            let at = i % len;
            for (k, b) in u32::MAX.to_be_bytes().into_iter().enumerate() {
                if let Some(slot) = bytes.get_mut(at + k) {
                    *slot = b;
                }
            }
        }
        Mutation::Truncate(i) => bytes.truncate(i % len),
        Mutation::Insert(i, b) => bytes.insert(i % (len + 1), b),
        Mutation::Remove(i) => {
            bytes.remove(i % len);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Round trips.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn control_round_trips(m in control()) {
        let bytes = m.encode();
        let back = Control::decode(&bytes, &LIMITS).unwrap();
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn hello_round_trips(chain in blob()) {
        let m = Hello { chain };
        let bytes = m.encode();
        prop_assert_eq!(Hello::decode(&bytes, &LIMITS).unwrap(), m);
    }

    #[test]
    fn request_round_trips(m in request()) {
        let bytes = m.encode();
        let back = SyncRequest::decode(&bytes, &LIMITS).unwrap();
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn response_round_trips(m in response()) {
        let bytes = m.encode();
        let back = SyncResponse::decode(&bytes, &LIMITS).unwrap();
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.encode(), bytes);
    }

    /// Arbitrary bytes (with a valid header half of the time) never panic, allocate
    /// little, and whatever decodes re-encodes to the same bytes.
    #[test]
    fn arbitrary_bytes_never_panic(
        tag in any::<u8>(),
        body in vec(any::<u8>(), 0..256),
        with_header in any::<bool>(),
    ) {
        let bytes = if with_header { msg(tag, &body) } else { body };
        prop_assert!(decode_all(&bytes, &LIMITS) <= allocation_bound(bytes.len()));
        if let Ok(m) = Control::decode(&bytes, &LIMITS) { prop_assert_eq!(m.encode(), bytes.clone()); }
        if let Ok(m) = Hello::decode(&bytes, &LIMITS) { prop_assert_eq!(m.encode(), bytes.clone()); }
        if let Ok(m) = SyncRequest::decode(&bytes, &LIMITS) { prop_assert_eq!(m.encode(), bytes.clone()); }
        if let Ok(m) = SyncResponse::decode(&bytes, &LIMITS) { prop_assert_eq!(m.encode(), bytes.clone()); }
    }

    /// Valid messages with a few mutations (including hostile `u32::MAX` prefixes) never
    /// panic and never allocate beyond the bound.
    #[test]
    fn mutated_messages_never_panic(
        mut bytes in encoded_message(),
        mutations in vec(mutation(), 1..4),
    ) {
        for m in &mutations {
            mutate(&mut bytes, m);
        }
        prop_assert!(decode_all(&bytes, &LIMITS) <= allocation_bound(bytes.len()));
        if let Ok(m) = SyncResponse::decode(&bytes, &LIMITS) { prop_assert_eq!(m.encode(), bytes.clone()); }
        if let Ok(m) = SyncRequest::decode(&bytes, &LIMITS) { prop_assert_eq!(m.encode(), bytes.clone()); }
    }

    /// Any valid range list is accepted by `check_ranges` with its exact leaf count.
    #[test]
    fn check_ranges_counts(r in ranges()) {
        let total: u64 = r.iter().map(|(a, b)| b - a).sum();
        prop_assert_eq!(check_ranges(&r, &LIMITS), Ok(total));
    }
}

#[test]
fn the_counting_allocator_counts() {
    let (v, n) = measure(|| vec![0u8; 1000]);
    assert_eq!(v.len(), 1000);
    assert!(n >= 1000);
    // A decoded message allocates its payload.
    let bytes = Hello {
        chain: vec![1; 500],
    }
    .encode();
    let (_, n) = measure(|| Hello::decode(&bytes, &LIMITS).unwrap());
    assert!(n >= 500);
}

#[test]
fn limits_default_matches_the_spec() {
    assert_eq!(Limits::default(), LIMITS);
}

#[test]
fn leaf_hash_of_full_and_hash_leaves() {
    assert_eq!(Leaf::Full(b"abc".to_vec()).leaf_hash(), leaf_hash(b"abc"));
    assert_eq!(Leaf::Hash([9; 32]).leaf_hash(), [9; 32]);
}

#[test]
fn layouts_are_as_documented() {
    let checkpoint = Control::Checkpoint {
        publisher: pk(3),
        note: "hi".into(),
    };
    let mut expected = msg(TAG_CHECKPOINT, &[3; 32]);
    expected.extend_from_slice(&[0, 0, 0, 2, b'h', b'i']);
    assert_eq!(checkpoint.encode(), expected);

    let request = SyncRequest::Leaves {
        publisher: pk(4),
        ranges: vec![(1, 3)],
    };
    let mut expected = msg(TAG_REQUEST_LEAVES, &[4; 32]);
    expected.extend_from_slice(&[0, 0, 0, 1]);
    expected.extend_from_slice(&1u64.to_be_bytes());
    expected.extend_from_slice(&3u64.to_be_bytes());
    assert_eq!(request.encode(), expected);

    let response = SyncResponse::Leaves {
        publisher: pk(5),
        items: vec![(2, Leaf::Full(vec![0xAA])), (7, Leaf::Hash([0xBB; 32]))],
    };
    let mut expected = msg(TAG_RESPONSE_LEAVES, &[5; 32]);
    expected.extend_from_slice(&[0, 0, 0, 2]);
    expected.extend_from_slice(&2u64.to_be_bytes());
    expected.extend_from_slice(&[0, 0, 0, 0, 1, 0xAA]);
    expected.extend_from_slice(&7u64.to_be_bytes());
    expected.push(1);
    expected.extend_from_slice(&[0xBB; 32]);
    assert_eq!(response.encode(), expected);

    assert_eq!(
        SyncResponse::Refused("no".into()).encode(),
        msg(TAG_REFUSED, &[0, 0, 0, 2, b'n', b'o'])
    );
    assert_eq!(SyncRequest::Heads.encode(), msg(TAG_REQUEST_HEADS, &[]));
    assert_eq!(
        SyncResponse::Heads(vec![]).encode(),
        msg(TAG_RESPONSE_HEADS, &[0, 0, 0, 0])
    );
    assert_eq!(
        Control::Revocation(vec![7]).encode(),
        msg(TAG_REVOCATION, &[0, 0, 0, 1, 7])
    );
    assert_eq!(
        Control::Admission(vec![7]).encode(),
        msg(TAG_ADMISSION, &[0, 0, 0, 1, 7])
    );
    assert_eq!(Hello::default().encode(), msg(TAG_HELLO, &[0, 0, 0, 0]));
}

// ---------------------------------------------------------------------------------------
// Header errors.

#[test]
fn too_large_is_checked_first() {
    let limits = Limits {
        max_message_bytes: 4,
        ..LIMITS
    };
    let bytes = b"garbage".to_vec();
    let expected = WireError::TooLarge { len: 7, max: 4 };
    assert_eq!(Control::decode(&bytes, &limits), Err(expected.clone()));
    assert_eq!(Hello::decode(&bytes, &limits), Err(expected.clone()));
    assert_eq!(SyncRequest::decode(&bytes, &limits), Err(expected.clone()));
    assert_eq!(SyncResponse::decode(&bytes, &limits), Err(expected));
}

#[test]
fn header_errors() {
    assert_eq!(request_err(b""), WireError::Truncated { field: "magic" });
    assert_eq!(request_err(b"SH"), WireError::Truncated { field: "magic" });
    assert_eq!(request_err(b"SHE\x01\x20"), WireError::BadMagic);
    assert_eq!(
        request_err(b"SHW"),
        WireError::Truncated { field: "version" }
    );
    assert_eq!(
        request_err(b"SHW\x02\x20"),
        WireError::UnsupportedVersion(2)
    );
    assert_eq!(
        request_err(b"SHW\x01"),
        WireError::Truncated { field: "tag" }
    );
}

#[test]
fn each_type_refuses_the_others_tags() {
    let hello = Hello::default().encode();
    let heads = SyncRequest::Heads.encode();
    let refused = SyncResponse::Refused(String::new()).encode();
    let revocation = Control::Revocation(vec![]).encode();
    assert_eq!(
        Control::decode(&hello, &LIMITS),
        Err(WireError::UnknownTag {
            message: "control",
            tag: TAG_HELLO
        })
    );
    assert_eq!(
        Hello::decode(&revocation, &LIMITS),
        Err(WireError::UnknownTag {
            message: "hello",
            tag: TAG_REVOCATION
        })
    );
    assert_eq!(
        SyncRequest::decode(&refused, &LIMITS),
        Err(WireError::UnknownTag {
            message: "sync request",
            tag: TAG_REFUSED
        })
    );
    assert_eq!(
        SyncResponse::decode(&heads, &LIMITS),
        Err(WireError::UnknownTag {
            message: "sync response",
            tag: TAG_REQUEST_HEADS
        })
    );
    assert_eq!(
        Control::decode(&msg(0xFF, &[]), &LIMITS),
        Err(WireError::UnknownTag {
            message: "control",
            tag: 0xFF
        })
    );
}

#[test]
fn trailing_bytes_are_rejected_for_every_type() {
    let mut b = Control::Revocation(vec![1]).encode();
    b.push(0);
    assert_eq!(
        Control::decode(&b, &LIMITS),
        Err(WireError::TrailingBytes(1))
    );
    let mut b = Hello::default().encode();
    b.extend_from_slice(&[0, 0]);
    assert_eq!(Hello::decode(&b, &LIMITS), Err(WireError::TrailingBytes(2)));
    let mut b = SyncRequest::Heads.encode();
    b.push(0);
    assert_eq!(request_err(&b), WireError::TrailingBytes(1));
    let mut b = SyncResponse::Heads(vec![]).encode();
    b.push(0);
    assert_eq!(response_err(&b), WireError::TrailingBytes(1));
}

// ---------------------------------------------------------------------------------------
// Length and count limits (refused before allocating).

#[test]
fn u32_max_prefixes_are_refused_without_allocating() {
    let huge = u32be(u32::MAX);
    let mut cases: Vec<(Vec<u8>, WireError)> = Vec::new();

    let mut b = msg(TAG_CHECKPOINT, &[0; 32]);
    b.extend_from_slice(&huge);
    cases.push((b, too_long("note", LIMITS.max_note_bytes)));
    cases.push((
        msg(TAG_REVOCATION, &huge),
        too_long("revocation", LIMITS.max_blob_bytes),
    ));
    cases.push((
        msg(TAG_HELLO, &huge),
        too_long("chain", LIMITS.max_blob_bytes),
    ));
    let mut b = msg(TAG_REQUEST_LEAVES, &[0; 32]);
    b.extend_from_slice(&huge);
    cases.push((b, too_many("ranges", LIMITS.max_ranges)));
    cases.push((
        msg(TAG_RESPONSE_HEADS, &huge),
        too_many("heads", LIMITS.max_heads),
    ));
    let mut b = msg(TAG_RESPONSE_HEADS, &u32be(1));
    b.extend_from_slice(&[0; 32]);
    b.extend_from_slice(&huge);
    cases.push((b, too_long("head note", LIMITS.max_note_bytes)));
    let mut b = msg(TAG_RESPONSE_LEAVES, &[0; 32]);
    b.extend_from_slice(&huge);
    cases.push((b, too_many("leaves", LIMITS.max_leaves)));
    let mut b = msg(TAG_RESPONSE_LEAVES, &[0; 32]);
    b.extend_from_slice(&u32be(1));
    b.extend_from_slice(&0u64.to_be_bytes());
    b.push(0);
    b.extend_from_slice(&huge);
    cases.push((b, too_long("envelope", LIMITS.max_envelope_bytes)));
    cases.push((
        msg(TAG_REFUSED, &huge),
        too_long("refusal", MAX_REFUSAL_BYTES),
    ));

    for (bytes, expected) in cases {
        let (control, a) = measure(|| Control::decode(&bytes, &LIMITS));
        let (hello, b) = measure(|| Hello::decode(&bytes, &LIMITS));
        let (request, c) = measure(|| SyncRequest::decode(&bytes, &LIMITS));
        let (response, d) = measure(|| SyncResponse::decode(&bytes, &LIMITS));
        let errors = [control.err(), hello.err(), request.err(), response.err()];
        assert!(
            errors.contains(&Some(expected.clone())),
            "{expected:?}: {errors:?}"
        );
        // Only the one head or leaf list of at most one entry may have been allocated.
        assert!(
            a + b + c + d <= 128,
            "{expected:?} allocated {}",
            a + b + c + d
        );
    }
}

fn too_long(field: &'static str, max: usize) -> WireError {
    WireError::FieldTooLong {
        field,
        len: u64::from(u32::MAX),
        max,
    }
}

fn too_many(field: &'static str, max: usize) -> WireError {
    WireError::TooMany {
        field,
        count: u64::from(u32::MAX),
        max,
    }
}

#[test]
fn fields_at_the_limit_pass_and_one_over_fails() {
    let limits = Limits {
        max_note_bytes: 3,
        max_blob_bytes: 2,
        max_envelope_bytes: 1,
        ..LIMITS
    };
    let ok = Control::Checkpoint {
        publisher: pk(0),
        note: "abc".into(),
    };
    assert!(Control::decode(&ok.encode(), &limits).is_ok());
    let over = Control::Checkpoint {
        publisher: pk(0),
        note: "abcd".into(),
    };
    assert_eq!(
        Control::decode(&over.encode(), &limits),
        Err(WireError::FieldTooLong {
            field: "note",
            len: 4,
            max: 3
        })
    );
    assert_eq!(
        Control::decode(&Control::Revocation(vec![0; 3]).encode(), &limits),
        Err(WireError::FieldTooLong {
            field: "revocation",
            len: 3,
            max: 2
        })
    );
    assert_eq!(
        Hello::decode(&Hello { chain: vec![0; 3] }.encode(), &limits),
        Err(WireError::FieldTooLong {
            field: "chain",
            len: 3,
            max: 2
        })
    );
    assert!(Hello::decode(&Hello { chain: vec![0; 2] }.encode(), &limits).is_ok());
    let leaves = |n| SyncResponse::Leaves {
        publisher: pk(0),
        items: vec![(0, Leaf::Full(vec![0; n]))],
    };
    assert!(SyncResponse::decode(&leaves(1).encode(), &limits).is_ok());
    assert_eq!(
        SyncResponse::decode(&leaves(2).encode(), &limits),
        Err(WireError::FieldTooLong {
            field: "envelope",
            len: 2,
            max: 1
        })
    );
    let heads = SyncResponse::Heads(vec![Head {
        publisher: pk(0),
        note: "abcd".into(),
    }]);
    assert_eq!(
        SyncResponse::decode(&heads.encode(), &limits),
        Err(WireError::FieldTooLong {
            field: "head note",
            len: 4,
            max: 3
        })
    );
    let refusal = "x".repeat(MAX_REFUSAL_BYTES);
    assert!(
        SyncResponse::decode(&SyncResponse::Refused(refusal.clone()).encode(), &LIMITS).is_ok()
    );
    assert_eq!(
        response_err(&SyncResponse::Refused(refusal + "x").encode()),
        WireError::FieldTooLong {
            field: "refusal",
            len: 257,
            max: MAX_REFUSAL_BYTES
        }
    );
}

#[test]
fn counts_over_the_limits_fail() {
    let limits = Limits {
        max_ranges: 2,
        max_heads: 1,
        max_leaves: 2,
        ..LIMITS
    };
    let req = leaves_request(&[(0, 1), (2, 3), (4, 5)]);
    assert_eq!(
        SyncRequest::decode(&req, &limits),
        Err(WireError::TooMany {
            field: "ranges",
            count: 3,
            max: 2
        })
    );
    let heads = SyncResponse::Heads(vec![
        Head {
            publisher: pk(0),
            note: String::new(),
        },
        Head {
            publisher: pk(1),
            note: String::new(),
        },
    ]);
    assert_eq!(
        SyncResponse::decode(&heads.encode(), &limits),
        Err(WireError::TooMany {
            field: "heads",
            count: 2,
            max: 1
        })
    );
    let items = SyncResponse::Leaves {
        publisher: pk(0),
        items: (0..3).map(|i| (i, Leaf::Hash([0; 32]))).collect(),
    };
    assert_eq!(
        SyncResponse::decode(&items.encode(), &limits),
        Err(WireError::TooMany {
            field: "leaves",
            count: 3,
            max: 2
        })
    );
    // A request within the range count but over the leaf total.
    assert_eq!(
        SyncRequest::decode(&leaves_request(&[(0, 1), (5, 7)]), &limits),
        Err(WireError::TooManyLeaves {
            requested: 3,
            max: 2
        })
    );
    assert_eq!(
        request_err(&leaves_request(&[(10, 10 + 4097)])),
        WireError::TooManyLeaves {
            requested: 4097,
            max: 4096
        }
    );
    assert!(SyncRequest::decode(&leaves_request(&[(10, 10 + 4096)]), &LIMITS).is_ok());
}

#[test]
fn counts_beyond_the_remaining_bytes_are_truncation() {
    // Within the limit, but not enough bytes for that many entries.
    let mut b = msg(TAG_REQUEST_LEAVES, &[0; 32]);
    b.extend_from_slice(&u32be(64));
    b.extend_from_slice(&[0; 16]);
    assert_eq!(request_err(&b), WireError::Truncated { field: "ranges" });
    let mut b = msg(TAG_RESPONSE_LEAVES, &[0; 32]);
    b.extend_from_slice(&u32be(4096));
    assert_eq!(response_err(&b), WireError::Truncated { field: "leaves" });
}

// ---------------------------------------------------------------------------------------
// Semantic and field errors.

#[test]
fn range_rules() {
    assert_eq!(request_err(&leaves_request(&[])), WireError::NoRanges);
    assert_eq!(
        request_err(&leaves_request(&[(5, 5)])),
        WireError::EmptyRange { from: 5, to: 5 }
    );
    assert_eq!(
        request_err(&leaves_request(&[(6, 5)])),
        WireError::EmptyRange { from: 6, to: 5 }
    );
    assert_eq!(
        request_err(&leaves_request(&[(0, 5), (4, 8)])),
        WireError::UnorderedRanges {
            previous_end: 5,
            from: 4,
            to: 8
        }
    );
    assert_eq!(
        request_err(&leaves_request(&[(10, 12), (0, 2)])),
        WireError::UnorderedRanges {
            previous_end: 12,
            from: 0,
            to: 2
        }
    );
    // Adjacent ranges do not overlap.
    assert!(SyncRequest::decode(&leaves_request(&[(0, 5), (5, 8)]), &LIMITS).is_ok());
    assert!(SyncRequest::decode(&leaves_request(&[(u64::MAX - 1, u64::MAX)]), &LIMITS).is_ok());
}

#[test]
fn leaf_item_rules() {
    let items = |items: Vec<(u64, Leaf)>| {
        SyncResponse::Leaves {
            publisher: pk(0),
            items,
        }
        .encode()
    };
    assert_eq!(
        response_err(&items(vec![
            (3, Leaf::Hash([0; 32])),
            (3, Leaf::Hash([1; 32]))
        ])),
        WireError::UnorderedLeaves {
            previous: 3,
            index: 3
        }
    );
    assert_eq!(
        response_err(&items(vec![
            (3, Leaf::Hash([0; 32])),
            (1, Leaf::Full(vec![]))
        ])),
        WireError::UnorderedLeaves {
            previous: 3,
            index: 1
        }
    );
    let mut b = items(vec![(0, Leaf::Hash([0; 32]))]);
    let kind_at = 5 + 32 + 4 + 8;
    b[kind_at] = 2;
    assert_eq!(response_err(&b), WireError::UnknownLeafKind(2));
    let b = items(vec![(0, Leaf::Hash([0; 32]))]);
    assert_eq!(
        response_err(&b[..b.len() - 1]),
        WireError::Truncated { field: "leaf hash" }
    );
}

#[test]
fn heads_must_be_strictly_increasing() {
    let head = |b| Head {
        publisher: pk(b),
        note: "n".into(),
    };
    assert_eq!(
        response_err(&SyncResponse::Heads(vec![head(2), head(1)]).encode()),
        WireError::UnorderedHeads
    );
    assert_eq!(
        response_err(&SyncResponse::Heads(vec![head(2), head(2)]).encode()),
        WireError::UnorderedHeads
    );
}

#[test]
fn text_fields_must_be_utf8() {
    let mut b = msg(TAG_CHECKPOINT, &[0; 32]);
    b.extend_from_slice(&u32be(2));
    b.extend_from_slice(&[0xC3, 0x28]);
    assert_eq!(
        Control::decode(&b, &LIMITS),
        Err(WireError::NotUtf8 { field: "note" })
    );
    let mut b = msg(TAG_RESPONSE_HEADS, &u32be(1));
    b.extend_from_slice(&[0; 32]);
    b.extend_from_slice(&u32be(1));
    b.push(0xFF);
    assert_eq!(response_err(&b), WireError::NotUtf8 { field: "head note" });
    let mut b = msg(TAG_REFUSED, &u32be(1));
    b.push(0x80);
    assert_eq!(response_err(&b), WireError::NotUtf8 { field: "refusal" });
}

#[test]
fn every_truncation_is_an_error() {
    let messages = [
        Control::Checkpoint {
            publisher: pk(1),
            note: "note".into(),
        }
        .encode(),
        Control::Revocation(vec![1, 2]).encode(),
        Hello { chain: vec![1] }.encode(),
        leaves_request(&[(0, 2), (4, 6)]),
        SyncResponse::Heads(vec![Head {
            publisher: pk(1),
            note: "x".into(),
        }])
        .encode(),
        SyncResponse::Leaves {
            publisher: pk(1),
            items: vec![(0, Leaf::Full(vec![1, 2])), (1, Leaf::Hash([3; 32]))],
        }
        .encode(),
        SyncResponse::Refused("no".into()).encode(),
    ];
    for full in messages {
        for len in 0..full.len() {
            let cut = &full[..len];
            let errors = [
                Control::decode(cut, &LIMITS).err(),
                Hello::decode(cut, &LIMITS).err(),
                SyncRequest::decode(cut, &LIMITS).err(),
                SyncResponse::decode(cut, &LIMITS).err(),
            ];
            assert!(
                errors.iter().all(|e| matches!(
                    e,
                    Some(WireError::Truncated { .. }) | Some(WireError::UnknownTag { .. })
                )),
                "prefix {len} of {full:?}: {errors:?}"
            );
            assert!(
                errors
                    .iter()
                    .any(|e| matches!(e, Some(WireError::Truncated { .. }))),
                "prefix {len} of {full:?}: {errors:?}"
            );
        }
    }
}
