//! [`WireError`]: every way decoding a network message can fail, one variant per rejection
//! so callers (and tests) can tell them apart.

/// Network message decoding errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input is longer than [`Limits::max_message_bytes`](super::Limits) (checked
    /// before parsing).
    #[error("message is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input ends inside `field` (or a count promises more entries than the remaining
    /// bytes could hold).
    #[error("message truncated in {field}")]
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// The input does not start with `SHW`.
    #[error("not a Shoal wire message (bad magic)")]
    BadMagic,
    /// A version this implementation does not speak.
    #[error("unsupported wire version {0}")]
    UnsupportedVersion(u8),
    /// A tag that is not one of the expected message's variants.
    #[error("unknown {message} tag {tag:#04x}")]
    UnknownTag {
        /// The message type being decoded.
        message: &'static str,
        /// The tag byte read.
        tag: u8,
    },
    /// A length prefix above the field's limit (refused before allocating).
    #[error("{field} is {len} bytes, more than the {max}-byte limit")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// The announced length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// A count prefix above the list's limit (refused before allocating).
    #[error("{field} has {count} entries, more than the limit of {max}")]
    TooMany {
        /// The list.
        field: &'static str,
        /// The announced count.
        count: u64,
        /// The limit.
        max: usize,
    },
    /// A text field that is not UTF-8.
    #[error("{field} is not valid UTF-8")]
    NotUtf8 {
        /// The field.
        field: &'static str,
    },
    /// A leaf request without any range.
    #[error("leaf request has no ranges")]
    NoRanges,
    /// A range `[from, to)` with `from >= to`.
    #[error("empty leaf range [{from}, {to})")]
    EmptyRange {
        /// Start (inclusive).
        from: u64,
        /// End (exclusive).
        to: u64,
    },
    /// A range that starts before the previous one ends (unsorted or overlapping).
    #[error("leaf range [{from}, {to}) starts before the previous range ends at {previous_end}")]
    UnorderedRanges {
        /// End of the previous range.
        previous_end: u64,
        /// Start of the offending range.
        from: u64,
        /// End of the offending range.
        to: u64,
    },
    /// The ranges of a leaf request cover more leaves than the limit.
    #[error("leaf request covers {requested} leaves, more than the limit of {max}")]
    TooManyLeaves {
        /// Leaves covered so far when the limit was crossed.
        requested: u64,
        /// The limit.
        max: usize,
    },
    /// A leaf kind byte other than 0 (full envelope) or 1 (hash only).
    #[error("unknown leaf kind {0:#04x}")]
    UnknownLeafKind(u8),
    /// Leaf indices of a response must be strictly increasing.
    #[error("leaf index {index} does not follow {previous}")]
    UnorderedLeaves {
        /// The previous index.
        previous: u64,
        /// The offending index.
        index: u64,
    },
    /// Head publishers must be strictly increasing (sorted, no duplicates).
    #[error("head publishers are not strictly increasing")]
    UnorderedHeads,
    /// Bytes left over after a complete message.
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
}
