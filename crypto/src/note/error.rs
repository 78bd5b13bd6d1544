//! Errors of C2SP signed-note handling.

/// Why a note, verifier key or signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A key name is empty or contains a Unicode space, `+` or a control character.
    #[error("invalid key name {0:?}: must be non-empty with no spaces, '+' or control characters")]
    InvalidName(String),
    /// The note text is empty.
    #[error("note text is empty")]
    EmptyText,
    /// The note text does not end in a newline.
    #[error("note text does not end in a newline")]
    MissingFinalNewline,
    /// The note contains an ASCII control character other than newline.
    #[error("note contains a control character at byte {offset}")]
    ControlCharacter {
        /// Byte offset of the character.
        offset: usize,
    },
    /// The note is larger than this implementation accepts.
    #[error("note is {size} bytes, more than the limit of {max}")]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The note has more signatures than this implementation accepts.
    #[error("note has more than {max} signatures")]
    TooManySignatures {
        /// The limit.
        max: usize,
    },
    /// No blank line separates the text from the signatures.
    #[error("note has no blank line before its signatures")]
    MissingSeparator,
    /// The signature block is empty or does not end in a newline.
    #[error("note has no signature lines")]
    NoSignatures,
    /// A signature line does not have the form `— <name> <base64>`.
    #[error("signature line {line} is malformed: {reason}")]
    MalformedSignatureLine {
        /// 1-based number of the line within the signature block.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A signature line's base64 does not decode.
    #[error("signature line {line} has invalid base64")]
    InvalidBase64 {
        /// 1-based number of the line within the signature block.
        line: usize,
        /// The decoding error.
        #[source]
        source: base64::DecodeError,
    },
    /// A verifier key is not of the form `<name>+<hex8 key id>+<base64 key>`.
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    /// A verifier key uses a signature type other than Ed25519 (0x01).
    #[error("unsupported signature type {0:#04x}")]
    UnsupportedAlgorithm(u8),
    /// A verifier key's id does not match its name and key.
    #[error("verifier key id {got:08x} does not match its name and key (expected {expected:08x})")]
    KeyIdMismatch {
        /// The id computed from the name and key.
        expected: u32,
        /// The id written in the verifier key.
        got: u32,
    },
    /// The public key is not a valid Ed25519 point.
    #[error("invalid Ed25519 public key")]
    InvalidPublicKey,
    /// The note carries no signature by the verifier's name and key id.
    #[error("note has no signature by {name}+{key_id:08x}")]
    UnknownKey {
        /// The verifier's name.
        name: String,
        /// The verifier's key id.
        key_id: u32,
    },
    /// A signature by the verifier's name and key id does not verify.
    #[error("signature by {name}+{key_id:08x} does not verify")]
    BadSignature {
        /// The signer name.
        name: String,
        /// The key id.
        key_id: u32,
    },
}
