//! C2SP transparency-log checkpoints (<https://c2sp.org/tlog-checkpoint>): the
//! note body `origin\nsize\nbase64(root)\n[extension lines]`, signed as a note
//! whose signer name is the origin.

use crate::encoding::{decode_hash, encode_hash, parse_decimal};
use crate::hash::Hash;
use crate::keys::NodeKey;
use crate::note::{validate_text, Note, NoteError, Verifier};

/// Why a checkpoint was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The note layer rejected the text, a signature or the verifier.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The body has fewer than the three mandatory lines.
    #[error("checkpoint body has fewer than three lines")]
    TooFewLines,
    /// The origin line is empty.
    #[error("checkpoint origin is empty")]
    EmptyOrigin,
    /// The size line is not a canonical decimal `u64`.
    #[error("checkpoint size {0:?} is not a decimal number without leading zeroes")]
    InvalidSize(String),
    /// The root line is not base64 of 32 bytes.
    #[error("checkpoint root {0:?} is not base64 of a 32-byte hash")]
    InvalidRoot(String),
    /// An extension line is empty.
    #[error("checkpoint extension line {0} is empty")]
    EmptyExtension(usize),
    /// The checkpoint's fields do not serialise to a body that parses back to them
    /// (for example an origin or extension containing a newline).
    #[error("checkpoint fields do not form a valid body")]
    NotCanonical,
    /// The origin is not the verifier's name.
    #[error("checkpoint origin {origin:?} does not match the verifier name {verifier:?}")]
    OriginMismatch {
        /// The checkpoint's origin.
        origin: String,
        /// The verifier's name.
        verifier: String,
    },
}

/// A log's signed statement of its size and root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's unique identity, also the signer's key name.
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// RFC 9162 root of the tree.
    pub root: Hash,
    /// Optional opaque extension lines (each non-empty, without newline).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note body: origin, size, base64 root and extension lines, each ending in '\n'.
    pub fn to_body(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            encode_hash(&self.root)
        );
        for ext in &self.extensions {
            out.push_str(ext);
            out.push('\n');
        }
        out
    }

    /// Parse a checkpoint body (the note text, not the signed note).
    pub fn parse_body(text: &str) -> Result<Self, CheckpointError> {
        validate_text(text)?;
        let lines = text
            .strip_suffix('\n')
            .ok_or(NoteError::MissingFinalNewline)?;
        let mut lines = lines.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::TooFewLines);
        };
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        let size =
            parse_decimal(size).ok_or_else(|| CheckpointError::InvalidSize(size.to_owned()))?;
        let root =
            decode_hash(root).ok_or_else(|| CheckpointError::InvalidRoot(root.to_owned()))?;
        let mut extensions = Vec::new();
        for (i, ext) in lines.enumerate() {
            if ext.is_empty() {
                return Err(CheckpointError::EmptyExtension(i.saturating_add(1)));
            }
            extensions.push(ext.to_owned());
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// Sign as a note whose signer name is the origin.
    pub fn sign(&self, key: &NodeKey) -> Result<Note, CheckpointError> {
        let body = self.to_body();
        if Self::parse_body(&body).as_ref() != Ok(self) {
            return Err(CheckpointError::NotCanonical);
        }
        Ok(Note::sign(&body, &self.origin, key)?)
    }

    /// Parse a signed checkpoint note and verify it with `v` (whose name must equal the origin).
    pub fn open(note_text: &str, v: &Verifier) -> Result<(Checkpoint, Note), CheckpointError> {
        let note = Note::parse(note_text)?;
        let checkpoint = Self::from_note(&note, v)?;
        Ok((checkpoint, note))
    }

    /// Parse the body of an already parsed note and verify the note with `v` (whose
    /// name must equal the origin).
    pub fn from_note(note: &Note, v: &Verifier) -> Result<Checkpoint, CheckpointError> {
        let checkpoint = Self::parse_body(&note.text)?;
        if checkpoint.origin != v.name {
            return Err(CheckpointError::OriginMismatch {
                origin: checkpoint.origin,
                verifier: v.name.clone(),
            });
        }
        note.verify(v)?;
        Ok(checkpoint)
    }
}
