//! The network messages nodes exchange, as a hand-written binary codec: [`Control`]
//! (gossiped on the control topic), [`Hello`] (the admission exchange) and
//! [`SyncRequest`] / [`SyncResponse`] (ledger anti-entropy). Everything a peer sends is
//! decoded here, at the boundary, against caller-chosen [`Limits`].
//!
//! # Wire format (version 1)
//!
//! All integers are big-endian; `‖` is concatenation. Every message is
//! `b"SHW"` ‖ version `u8` = [`WIRE_VERSION`] ‖ tag `u8` ‖ body:
//!
//! | tag    | message                    | body                                                          |
//! |--------|----------------------------|---------------------------------------------------------------|
//! | `0x01` | `Control::Checkpoint`      | publisher (32) ‖ note                                         |
//! | `0x02` | `Control::Revocation`      | blob                                                          |
//! | `0x10` | `Hello`                    | chain blob (may be empty)                                     |
//! | `0x20` | `SyncRequest::Heads`       | (empty)                                                       |
//! | `0x21` | `SyncRequest::Leaves`      | publisher (32) ‖ `u32` count ‖ count × (from `u64` ‖ to `u64`)|
//! | `0x22` | `SyncRequest::Chains`      | `u32` count ‖ count × key (32)                                |
//! | `0x23` | `SyncRequest::AddCheckpoint` | publisher (32) ‖ old size `u64` ‖ proof ‖ note              |
//! | `0x24` | `SyncRequest::Consistency` | publisher (32) ‖ old size `u64` ‖ new size `u64`              |
//! | `0x30` | `SyncResponse::Heads`      | `u32` count ‖ count × (publisher (32) ‖ note)                 |
//! | `0x31` | `SyncResponse::Leaves`     | publisher (32) ‖ `u32` count ‖ count × item                   |
//! | `0x32` | `SyncResponse::Refused`    | reason: `u32` length ‖ UTF-8 (≤ [`MAX_REFUSAL_BYTES`])        |
//! | `0x33` | `SyncResponse::Chains`     | `u32` count ‖ count × blob                                    |
//! | `0x34` | `SyncResponse::Cosigned`   | note (the checkpoint with the witness's cosignature)          |
//! | `0x35` | `SyncResponse::Conflict`   | the size the witness last cosigned `u64`                      |
//! | `0x36` | `SyncResponse::Consistency`| publisher (32) ‖ old `u64` ‖ new `u64` ‖ proof                |
//!
//! A *note* is `u32` length ‖ UTF-8 text (≤ `max_note_bytes`); a *blob* is `u32` length ‖
//! bytes (≤ `max_blob_bytes`). A leaf *item* is index `u64` ‖ kind `u8` ‖ either
//! (kind 0, [`Leaf::Full`]) `u32` length ‖ encoded envelope (≤ `max_envelope_bytes`) or
//! (kind 1, [`Leaf::Hash`]) the 32-byte leaf hash. A *proof* is `u32` count
//! (≤ [`MAX_PROOF_HASHES`]) ‖ count × 32-byte hashes (an RFC 9162 consistency proof).
//!
//! Decoding checks the total size first, then magic, version and tag (each message type
//! accepts only its own tags), refuses every length or count prefix above its limit — or
//! promising more entries than the remaining bytes can hold — before allocating anything,
//! and rejects trailing bytes. It also enforces the semantic rules: leaf ranges are
//! non-empty, sorted and non-overlapping, there is at least one, and together they cover at
//! most `max_leaves` leaves; leaf items have strictly increasing indices; head publishers
//! are strictly increasing. Encoding does not check anything: a message that breaks these
//! rules encodes to bytes its own decoder rejects. Round trips are exact:
//! `decode(encode(m)) == m` for every valid `m`, and `encode(decode(b)) == b`.
//!
//! Notes, blobs and envelope bytes stay opaque here: the caller parses and verifies them
//! (signed notes with `shoal_crypto::note`, envelopes with `Envelope::decode_verified`).

pub(crate) mod codec;
mod error;

use shoal_crypto::hash::{leaf_hash, Hash};
use shoal_crypto::PublicKey;

use codec::{header, put_bytes, put_u32, Reader};
pub use error::WireError;

/// Current (and only) wire format version.
pub const WIRE_VERSION: u8 = 1;
/// The three magic bytes every message starts with (the version byte follows).
pub const MAGIC: &[u8; 3] = b"SHW";
/// Longest refusal reason in bytes.
pub const MAX_REFUSAL_BYTES: usize = 256;

/// Tag of [`Control::Checkpoint`].
pub const TAG_CHECKPOINT: u8 = 0x01;
/// Tag of [`Control::Revocation`].
pub const TAG_REVOCATION: u8 = 0x02;
/// Tag of [`Control::Admission`].
pub const TAG_ADMISSION: u8 = 0x03;
/// Tag of [`Control::Equivocation`].
pub const TAG_EQUIVOCATION: u8 = 0x04;
/// Tag of [`Hello`].
pub const TAG_HELLO: u8 = 0x10;
/// Tag of [`SyncRequest::Heads`].
pub const TAG_REQUEST_HEADS: u8 = 0x20;
/// Tag of [`SyncRequest::Leaves`].
pub const TAG_REQUEST_LEAVES: u8 = 0x21;
/// Tag of [`SyncRequest::Chains`].
pub const TAG_REQUEST_CHAINS: u8 = 0x22;
/// Tag of [`SyncResponse::Heads`].
pub const TAG_RESPONSE_HEADS: u8 = 0x30;
/// Tag of [`SyncResponse::Leaves`].
pub const TAG_RESPONSE_LEAVES: u8 = 0x31;
/// Tag of [`SyncResponse::Refused`].
pub const TAG_REFUSED: u8 = 0x32;
/// Tag of [`SyncResponse::Chains`].
pub const TAG_RESPONSE_CHAINS: u8 = 0x33;
/// Tag of [`SyncRequest::AddCheckpoint`].
pub const TAG_REQUEST_ADD_CHECKPOINT: u8 = 0x23;
/// Tag of [`SyncRequest::Consistency`].
pub const TAG_REQUEST_CONSISTENCY: u8 = 0x24;
/// Tag of [`SyncResponse::Cosigned`].
pub const TAG_RESPONSE_COSIGNED: u8 = 0x34;
/// Tag of [`SyncResponse::Conflict`].
pub const TAG_RESPONSE_CONFLICT: u8 = 0x35;
/// Tag of [`SyncResponse::Consistency`].
pub const TAG_RESPONSE_CONSISTENCY: u8 = 0x36;
/// Most hashes in a consistency proof: RFC 9162 proofs between sizes below 2^64 have at
/// most 2 × 64 hashes.
pub const MAX_PROOF_HASHES: usize = 128;
/// Most keys in one [`SyncRequest::Chains`] and chains in its answer.
pub const MAX_CHAIN_KEYS: usize = 64;

/// Leaf item kind byte of [`Leaf::Full`].
const LEAF_FULL: u8 = 0;
/// Leaf item kind byte of [`Leaf::Hash`].
const LEAF_HASH: u8 = 1;

/// Smallest encoded range: from ‖ to.
const RANGE_BYTES: usize = 16;
/// Smallest encoded head: publisher ‖ empty note.
const MIN_HEAD_BYTES: usize = 32 + 4;
/// Smallest encoded leaf item: index ‖ kind ‖ empty envelope.
const MIN_ITEM_BYTES: usize = 8 + 1 + 4;

/// Decoding limits; every length and count prefix is checked against them before any
/// allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest whole message (default 16 MiB).
    pub max_message_bytes: usize,
    /// Most leaves one leaf request may cover, and most items in one leaf response
    /// (default 4096).
    pub max_leaves: usize,
    /// Most ranges in one leaf request (default 64).
    pub max_ranges: usize,
    /// Most heads in one heads response (default 65 536).
    pub max_heads: usize,
    /// Longest signed-note text (default 8192).
    pub max_note_bytes: usize,
    /// Longest envelope carried as a full leaf (default 1 MiB).
    pub max_envelope_bytes: usize,
    /// Longest opaque blob: revocation JSON, certificate chain (default 65 536).
    pub max_blob_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 << 20,
            max_leaves: 4096,
            max_ranges: 64,
            max_heads: 65_536,
            max_note_bytes: 8192,
            max_envelope_bytes: crate::DEFAULT_MAX_ENVELOPE_BYTES,
            max_blob_bytes: 65_536,
        }
    }
}

/// A message gossiped on the control topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// A publisher's latest checkpoint.
    Checkpoint {
        /// The publisher whose ledger the checkpoint is for.
        publisher: PublicKey,
        /// The C2SP signed-note text of the checkpoint.
        note: String,
    },
    /// The JSON bytes of a revocation (opaque here).
    Revocation(Vec<u8>),
    /// A node's admission certificate chain JSON (opaque here), so that nodes not
    /// directly connected to it can check its items.
    Admission(Vec<u8>),
    /// An equivocation proof (`provenance::EquivocationProof` binary form, opaque here;
    /// at most `max_message_bytes`).
    Equivocation(Vec<u8>),
}

impl Control {
    /// Encode (see the module docs for the layout).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Checkpoint { publisher, note } => {
                let mut out = header(TAG_CHECKPOINT, note.len().saturating_add(36));
                out.extend_from_slice(&publisher.0);
                put_bytes(&mut out, note.as_bytes());
                out
            }
            Self::Revocation(json) => {
                let mut out = header(TAG_REVOCATION, json.len().saturating_add(4));
                put_bytes(&mut out, json);
                out
            }
            Self::Admission(json) => {
                let mut out = header(TAG_ADMISSION, json.len().saturating_add(4));
                put_bytes(&mut out, json);
                out
            }
            Self::Equivocation(proof) => {
                let mut out = header(TAG_EQUIVOCATION, proof.len().saturating_add(4));
                put_bytes(&mut out, proof);
                out
            }
        }
    }

    /// Decode and check against `limits`.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, WireError> {
        let (mut r, tag) = Reader::open(bytes, limits.max_message_bytes)?;
        let message = match tag {
            TAG_CHECKPOINT => Self::Checkpoint {
                publisher: r.public_key("publisher")?,
                note: r.string("note", limits.max_note_bytes)?,
            },
            TAG_REVOCATION => {
                Self::Revocation(r.bytes("revocation", limits.max_blob_bytes)?.to_vec())
            }
            TAG_ADMISSION => {
                Self::Admission(r.bytes("admission chain", limits.max_blob_bytes)?.to_vec())
            }
            TAG_EQUIVOCATION => Self::Equivocation(
                r.bytes("equivocation proof", limits.max_message_bytes)?
                    .to_vec(),
            ),
            tag => {
                return Err(WireError::UnknownTag {
                    message: "control",
                    tag,
                })
            }
        };
        r.finish()?;
        Ok(message)
    }
}

/// The admission exchange payload, sent as both request and response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hello {
    /// The certificate-chain JSON bytes (opaque here); empty for a trust-root anchor.
    pub chain: Vec<u8>,
}

impl Hello {
    /// Encode (see the module docs for the layout).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = header(TAG_HELLO, self.chain.len().saturating_add(4));
        put_bytes(&mut out, &self.chain);
        out
    }

    /// Decode and check against `limits`.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, WireError> {
        let (mut r, tag) = Reader::open(bytes, limits.max_message_bytes)?;
        if tag != TAG_HELLO {
            return Err(WireError::UnknownTag {
                message: "hello",
                tag,
            });
        }
        let chain = r.bytes("chain", limits.max_blob_bytes)?.to_vec();
        r.finish()?;
        Ok(Self { chain })
    }
}

/// An anti-entropy request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncRequest {
    /// Ask for the latest checkpoint of every publisher the peer knows.
    Heads,
    /// Ask for leaves of one publisher's ledger.
    Leaves {
        /// The ledger.
        publisher: PublicKey,
        /// Half-open index ranges `[from, to)`: at least one, each non-empty, sorted and
        /// non-overlapping, covering at most `max_leaves` leaves in total.
        ranges: Vec<(u64, u64)>,
    },
    /// Ask for the admission chains the peer holds for these keys (at most
    /// [`MAX_CHAIN_KEYS`]): a node that received items from a publisher whose admission
    /// it does not know yet asks the peer that forwarded them.
    Chains(Vec<PublicKey>),
    /// Ask a witness to cosign a checkpoint (C2SP tlog-witness `add-checkpoint`): the
    /// requester names the size it believes the witness last cosigned for this log and
    /// proves the checkpoint consistent with it.
    AddCheckpoint {
        /// The log.
        publisher: PublicKey,
        /// The size the witness last cosigned (0 for none).
        old_size: u64,
        /// RFC 9162 consistency proof from `old_size` to the checkpoint's size.
        proof: Vec<Hash>,
        /// The publisher-signed checkpoint note.
        note: String,
    },
    /// Ask for an RFC 9162 consistency proof between two sizes of a log the peer holds.
    Consistency {
        /// The log.
        publisher: PublicKey,
        /// The older size (> 0).
        old_size: u64,
        /// The newer size (≥ `old_size`).
        new_size: u64,
    },
}

/// Check leaf request ranges against the rules [`SyncRequest::Leaves`] documents; returns
/// the number of leaves they cover.
pub fn check_ranges(ranges: &[(u64, u64)], limits: &Limits) -> Result<u64, WireError> {
    if ranges.is_empty() {
        return Err(WireError::NoRanges);
    }
    if ranges.len() > limits.max_ranges {
        return Err(WireError::TooMany {
            field: "ranges",
            count: u64::try_from(ranges.len()).unwrap_or(u64::MAX),
            max: limits.max_ranges,
        });
    }
    let max_leaves = u64::try_from(limits.max_leaves).unwrap_or(u64::MAX);
    let mut total = 0u64;
    let mut previous_end: Option<u64> = None;
    for &(from, to) in ranges {
        let Some(len) = to.checked_sub(from).filter(|len| *len > 0) else {
            return Err(WireError::EmptyRange { from, to });
        };
        if let Some(previous_end) = previous_end.filter(|end| from < *end) {
            return Err(WireError::UnorderedRanges {
                previous_end,
                from,
                to,
            });
        }
        previous_end = Some(to);
        // Sorted disjoint ranges cover at most u64::MAX leaves, so this cannot saturate.
        total = total.saturating_add(len);
        if total > max_leaves {
            return Err(WireError::TooManyLeaves {
                requested: total,
                max: limits.max_leaves,
            });
        }
    }
    Ok(total)
}

impl SyncRequest {
    /// Encode (see the module docs for the layout).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Heads => header(TAG_REQUEST_HEADS, 0),
            Self::Leaves { publisher, ranges } => {
                let body = ranges.len().saturating_mul(RANGE_BYTES).saturating_add(36);
                let mut out = header(TAG_REQUEST_LEAVES, body);
                out.extend_from_slice(&publisher.0);
                put_u32(&mut out, ranges.len());
                for (from, to) in ranges {
                    out.extend_from_slice(&from.to_be_bytes());
                    out.extend_from_slice(&to.to_be_bytes());
                }
                out
            }
            Self::Chains(keys) => {
                let mut out = header(
                    TAG_REQUEST_CHAINS,
                    keys.len().saturating_mul(32).saturating_add(4),
                );
                put_u32(&mut out, keys.len());
                for k in keys {
                    out.extend_from_slice(&k.0);
                }
                out
            }
            Self::AddCheckpoint {
                publisher,
                old_size,
                proof,
                note,
            } => {
                let body = proof
                    .len()
                    .saturating_mul(32)
                    .saturating_add(note.len())
                    .saturating_add(48);
                let mut out = header(TAG_REQUEST_ADD_CHECKPOINT, body);
                out.extend_from_slice(&publisher.0);
                out.extend_from_slice(&old_size.to_be_bytes());
                put_proof(&mut out, proof);
                put_bytes(&mut out, note.as_bytes());
                out
            }
            Self::Consistency {
                publisher,
                old_size,
                new_size,
            } => {
                let mut out = header(TAG_REQUEST_CONSISTENCY, 48);
                out.extend_from_slice(&publisher.0);
                out.extend_from_slice(&old_size.to_be_bytes());
                out.extend_from_slice(&new_size.to_be_bytes());
                out
            }
        }
    }

    /// Decode and check against `limits`.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, WireError> {
        let (mut r, tag) = Reader::open(bytes, limits.max_message_bytes)?;
        let message = match tag {
            TAG_REQUEST_HEADS => Self::Heads,
            TAG_REQUEST_LEAVES => {
                let publisher = r.public_key("publisher")?;
                let count = r.count("ranges", limits.max_ranges, RANGE_BYTES)?;
                let mut ranges = Vec::with_capacity(count);
                for _ in 0..count {
                    ranges.push((r.u64("range from")?, r.u64("range to")?));
                }
                check_ranges(&ranges, limits)?;
                Self::Leaves { publisher, ranges }
            }
            TAG_REQUEST_CHAINS => {
                let count = r.count("keys", MAX_CHAIN_KEYS, 32)?;
                let mut keys = Vec::with_capacity(count);
                for _ in 0..count {
                    keys.push(r.public_key("key")?);
                }
                Self::Chains(keys)
            }
            TAG_REQUEST_ADD_CHECKPOINT => Self::AddCheckpoint {
                publisher: r.public_key("publisher")?,
                old_size: r.u64("old size")?,
                proof: read_proof(&mut r)?,
                note: r.string("checkpoint note", limits.max_note_bytes)?,
            },
            TAG_REQUEST_CONSISTENCY => Self::Consistency {
                publisher: r.public_key("publisher")?,
                old_size: r.u64("old size")?,
                new_size: r.u64("new size")?,
            },
            tag => {
                return Err(WireError::UnknownTag {
                    message: "sync request",
                    tag,
                })
            }
        };
        r.finish()?;
        Ok(message)
    }
}

/// One publisher's latest checkpoint, as a heads response lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The publisher.
    pub publisher: PublicKey,
    /// The C2SP signed-note text of its checkpoint.
    pub note: String,
}

/// One ledger leaf in a leaf response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leaf {
    /// The encoded envelope.
    Full(Vec<u8>),
    /// Only the leaf hash: the requester is not eligible for the envelope, or the
    /// responder holds only the hash.
    Hash(Hash),
}

impl Leaf {
    /// The ledger leaf hash: `leaf_hash(envelope bytes)` for a full leaf.
    pub fn leaf_hash(&self) -> Hash {
        match self {
            Self::Full(bytes) => leaf_hash(bytes),
            Self::Hash(hash) => *hash,
        }
    }
}

/// An anti-entropy response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncResponse {
    /// The latest checkpoint of every publisher the responder knows, sorted by publisher
    /// (strictly increasing).
    Heads(Vec<Head>),
    /// Admission chains (opaque JSON bytes, each at most `max_blob_bytes`; at most
    /// [`MAX_CHAIN_KEYS`]) for the asked keys the responder knows.
    Chains(Vec<Vec<u8>>),
    /// Leaves of one ledger.
    Leaves {
        /// The ledger.
        publisher: PublicKey,
        /// `(index, leaf)` with strictly increasing indices.
        items: Vec<(u64, Leaf)>,
    },
    /// The responder will not answer, e.g. "not admitted" (at most [`MAX_REFUSAL_BYTES`]).
    Refused(String),
    /// A witness's answer to [`SyncRequest::AddCheckpoint`]: the checkpoint note with its
    /// cosignature added.
    Cosigned(String),
    /// A witness's answer to [`SyncRequest::AddCheckpoint`] naming the wrong old size: the
    /// size it last cosigned for the log (retry from there).
    Conflict(u64),
    /// An answer to [`SyncRequest::Consistency`].
    Consistency {
        /// The log.
        publisher: PublicKey,
        /// The older size.
        old_size: u64,
        /// The newer size.
        new_size: u64,
        /// The RFC 9162 consistency proof.
        proof: Vec<Hash>,
    },
}

impl SyncResponse {
    /// Encode (see the module docs for the layout).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Heads(heads) => {
                let body = heads.iter().fold(4usize, |n, h| {
                    n.saturating_add(h.note.len())
                        .saturating_add(MIN_HEAD_BYTES)
                });
                let mut out = header(TAG_RESPONSE_HEADS, body);
                put_u32(&mut out, heads.len());
                for head in heads {
                    out.extend_from_slice(&head.publisher.0);
                    put_bytes(&mut out, head.note.as_bytes());
                }
                out
            }
            Self::Leaves { publisher, items } => {
                let body = items.iter().fold(36usize, |n, (_, leaf)| {
                    let leaf_len = match leaf {
                        Leaf::Full(bytes) => bytes.len().saturating_add(4),
                        Leaf::Hash(_) => 32,
                    };
                    n.saturating_add(leaf_len).saturating_add(9)
                });
                let mut out = header(TAG_RESPONSE_LEAVES, body);
                out.extend_from_slice(&publisher.0);
                put_u32(&mut out, items.len());
                for (index, leaf) in items {
                    out.extend_from_slice(&index.to_be_bytes());
                    match leaf {
                        Leaf::Full(bytes) => {
                            out.push(LEAF_FULL);
                            put_bytes(&mut out, bytes);
                        }
                        Leaf::Hash(hash) => {
                            out.push(LEAF_HASH);
                            out.extend_from_slice(hash);
                        }
                    }
                }
                out
            }
            Self::Refused(reason) => {
                let mut out = header(TAG_REFUSED, reason.len().saturating_add(4));
                put_bytes(&mut out, reason.as_bytes());
                out
            }
            Self::Chains(chains) => {
                let body = chains
                    .iter()
                    .fold(4usize, |n, c| n.saturating_add(c.len()).saturating_add(4));
                let mut out = header(TAG_RESPONSE_CHAINS, body);
                put_u32(&mut out, chains.len());
                for c in chains {
                    put_bytes(&mut out, c);
                }
                out
            }
            Self::Cosigned(note) => {
                let mut out = header(TAG_RESPONSE_COSIGNED, note.len().saturating_add(4));
                put_bytes(&mut out, note.as_bytes());
                out
            }
            Self::Conflict(size) => {
                let mut out = header(TAG_RESPONSE_CONFLICT, 8);
                out.extend_from_slice(&size.to_be_bytes());
                out
            }
            Self::Consistency {
                publisher,
                old_size,
                new_size,
                proof,
            } => {
                let body = proof.len().saturating_mul(32).saturating_add(52);
                let mut out = header(TAG_RESPONSE_CONSISTENCY, body);
                out.extend_from_slice(&publisher.0);
                out.extend_from_slice(&old_size.to_be_bytes());
                out.extend_from_slice(&new_size.to_be_bytes());
                put_proof(&mut out, proof);
                out
            }
        }
    }

    /// Decode and check against `limits`.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, WireError> {
        let (mut r, tag) = Reader::open(bytes, limits.max_message_bytes)?;
        let message = match tag {
            TAG_RESPONSE_HEADS => {
                let count = r.count("heads", limits.max_heads, MIN_HEAD_BYTES)?;
                let mut heads: Vec<Head> = Vec::with_capacity(count);
                for _ in 0..count {
                    let publisher = r.public_key("head publisher")?;
                    if heads.last().is_some_and(|h| h.publisher >= publisher) {
                        return Err(WireError::UnorderedHeads);
                    }
                    let note = r.string("head note", limits.max_note_bytes)?;
                    heads.push(Head { publisher, note });
                }
                Self::Heads(heads)
            }
            TAG_RESPONSE_LEAVES => {
                let publisher = r.public_key("publisher")?;
                let count = r.count("leaves", limits.max_leaves, MIN_ITEM_BYTES)?;
                let mut items: Vec<(u64, Leaf)> = Vec::with_capacity(count);
                for _ in 0..count {
                    let index = r.u64("leaf index")?;
                    if let Some(&(previous, _)) = items.last().filter(|(p, _)| *p >= index) {
                        return Err(WireError::UnorderedLeaves { previous, index });
                    }
                    let leaf = match r.u8("leaf kind")? {
                        LEAF_FULL => {
                            Leaf::Full(r.bytes("envelope", limits.max_envelope_bytes)?.to_vec())
                        }
                        LEAF_HASH => Leaf::Hash(r.array::<32>("leaf hash")?),
                        kind => return Err(WireError::UnknownLeafKind(kind)),
                    };
                    items.push((index, leaf));
                }
                Self::Leaves { publisher, items }
            }
            TAG_REFUSED => Self::Refused(r.string("refusal", MAX_REFUSAL_BYTES)?),
            TAG_RESPONSE_CHAINS => {
                let count = r.count("chains", MAX_CHAIN_KEYS, 4)?;
                let mut chains = Vec::with_capacity(count);
                for _ in 0..count {
                    chains.push(r.bytes("chain", limits.max_blob_bytes)?.to_vec());
                }
                Self::Chains(chains)
            }
            TAG_RESPONSE_COSIGNED => {
                Self::Cosigned(r.string("cosigned note", limits.max_note_bytes)?)
            }
            TAG_RESPONSE_CONFLICT => Self::Conflict(r.u64("witnessed size")?),
            TAG_RESPONSE_CONSISTENCY => Self::Consistency {
                publisher: r.public_key("publisher")?,
                old_size: r.u64("old size")?,
                new_size: r.u64("new size")?,
                proof: read_proof(&mut r)?,
            },
            tag => {
                return Err(WireError::UnknownTag {
                    message: "sync response",
                    tag,
                })
            }
        };
        r.finish()?;
        Ok(message)
    }
}

/// Append a proof: `u32` count ‖ hashes.
fn put_proof(out: &mut Vec<u8>, proof: &[Hash]) {
    put_u32(out, proof.len());
    for h in proof {
        out.extend_from_slice(h);
    }
}

/// Read a proof written by [`put_proof`] (at most [`MAX_PROOF_HASHES`] hashes).
fn read_proof(r: &mut Reader<'_>) -> Result<Vec<Hash>, WireError> {
    let count = r.count("proof", MAX_PROOF_HASHES, 32)?;
    let mut proof = Vec::with_capacity(count);
    for _ in 0..count {
        proof.push(r.array::<32>("proof hash")?);
    }
    Ok(proof)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_magic_version_tag() {
        assert_eq!(SyncRequest::Heads.encode(), b"SHW\x01\x20");
        let hello = Hello { chain: vec![7] }.encode();
        assert_eq!(hello, b"SHW\x01\x10\x00\x00\x00\x01\x07");
    }

    #[test]
    fn count_prefix_is_checked_against_remaining_bytes() {
        // 10 heads promised, none present: refused before allocating room for them.
        let mut bytes = header(TAG_RESPONSE_HEADS, 4);
        put_u32(&mut bytes, 10);
        assert_eq!(
            SyncResponse::decode(&bytes, &Limits::default()),
            Err(WireError::Truncated { field: "heads" })
        );
    }

    #[test]
    fn witness_messages_round_trip_and_bound_their_proofs() {
        let limits = Limits::default();
        let publisher = PublicKey([5; 32]);
        let requests = [
            SyncRequest::AddCheckpoint {
                publisher,
                old_size: 3,
                proof: vec![[1; 32], [2; 32]],
                note: "origin\n7\nroot\n".into(),
            },
            SyncRequest::Consistency {
                publisher,
                old_size: 3,
                new_size: 7,
            },
        ];
        for req in requests {
            let bytes = req.encode();
            assert_eq!(SyncRequest::decode(&bytes, &limits), Ok(req));
            assert!(SyncRequest::decode(&bytes[..bytes.len() - 1], &limits).is_err());
        }
        let responses = [
            SyncResponse::Cosigned("note\n".into()),
            SyncResponse::Conflict(42),
            SyncResponse::Consistency {
                publisher,
                old_size: 3,
                new_size: 7,
                proof: vec![[9; 32]; 3],
            },
        ];
        for resp in responses {
            let bytes = resp.encode();
            assert_eq!(SyncResponse::decode(&bytes, &limits), Ok(resp));
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(SyncResponse::decode(&longer, &limits).is_err());
        }
        // A proof count above the limit is refused before reading the hashes.
        let mut bytes = header(TAG_REQUEST_ADD_CHECKPOINT, 48);
        bytes.extend_from_slice(&publisher.0);
        bytes.extend_from_slice(&0u64.to_be_bytes());
        put_u32(&mut bytes, MAX_PROOF_HASHES + 1);
        assert!(matches!(
            SyncRequest::decode(&bytes, &limits),
            Err(WireError::TooMany { field: "proof", .. })
        ));
    }

    #[test]
    fn check_ranges_counts_leaves() {
        let limits = Limits::default();
        assert_eq!(check_ranges(&[(0, 3), (3, 5), (9, 10)], &limits), Ok(6));
        assert_eq!(
            check_ranges(&[(0, 3), (2, 5)], &limits),
            Err(WireError::UnorderedRanges {
                previous_end: 3,
                from: 2,
                to: 5
            })
        );
    }
}
