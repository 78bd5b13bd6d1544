//! Opening another publisher's signed checkpoint: the note must be signed by the
//! publisher's key under an origin that names the publisher's peer id
//! (`<name>/<peer-id>`), as every Shoal ledger's origin does.

use shoal_crypto::checkpoint::Checkpoint;
use shoal_crypto::keys::PublicKey;
use shoal_crypto::note::{Note, Verifier};

/// Why a checkpoint was refused.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    /// The note or its body does not parse, or the signature fails.
    #[error("checkpoint: {0}")]
    Invalid(String),
    /// The origin does not name the publisher.
    #[error("checkpoint origin {0:?} does not name the publisher")]
    WrongOrigin(String),
}

/// Verify `note` as `publisher`'s checkpoint.
pub fn open(publisher: &PublicKey, note: &str) -> Result<Checkpoint, HeadError> {
    let parsed = Note::parse(note).map_err(|e| HeadError::Invalid(e.to_string()))?;
    let body =
        Checkpoint::parse_body(&parsed.text).map_err(|e| HeadError::Invalid(e.to_string()))?;
    if !shoal_protocol::provenance::origin_names(&body.origin, publisher) {
        return Err(HeadError::WrongOrigin(body.origin));
    }
    let v =
        Verifier::new(&body.origin, *publisher).map_err(|e| HeadError::Invalid(e.to_string()))?;
    Checkpoint::from_note(&parsed, &v).map_err(|e| HeadError::Invalid(e.to_string()))
}
