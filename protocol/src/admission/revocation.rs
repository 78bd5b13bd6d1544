//! [`Revocation`]s (an issuer withdrawing a subject key's admission) and the in-memory
//! [`RevocationSet`] that chain verification consults.
//!
//! Text format (JSON; signature = base64 Ed25519 by `issuer` over [`REVOCATION_DOMAIN`] ‖
//! RFC 8785 canonical JSON of the object without `"signature"`):
//!
//! ```json
//! {"shoal_revocation": 1, "issuer": "<64 hex>", "subject": "<64 hex>",
//!  "revoked_at": 1700000000, "reason": "…", "signature": "<base64>"}
//! ```
//!
//! # Which revocations count
//!
//! * **Storing** ([`RevocationSet::insert`]): only revocations whose issuer is a trust root,
//!   or an anchor the caller has admitted (its verified [`Admitted`] with role anchor), are
//!   kept, so strangers cannot fill memory. Signatures are always verified (a
//!   [`Revocation`] value cannot exist otherwise).
//! * **Applying** ([`RevocationSet::find`], used by [`super::verify_chain`]): a revocation
//!   revokes a certificate when its subject is the certificate's subject **and** its issuer
//!   is that certificate's issuer or any trust root. An anchor can thus revoke only the
//!   certificates it issued itself; a root can revoke any key. Revoking an anchor's
//!   certificate invalidates every chain through it, i.e. all its members.
//! * Revocation is by key and permanent: a revoked key is not re-admitted by a new
//!   certificate from the same issuer; the subject must use a new key.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};
use shoal_crypto::keys::SIGNATURE_LEN;
use shoal_crypto::{NodeKey, PublicKey};

use super::{codec, AdmissionError, Admitted, Role, TrustRoots};

/// Domain separator of revocation signatures.
pub const REVOCATION_DOMAIN: &[u8] = b"shoal/revocation/v1\0";
/// Revocation format version (the `shoal_revocation` member).
pub const REVOCATION_FORMAT_VERSION: u64 = 1;
/// Longest revocation reason, in characters.
pub const MAX_REASON_CHARS: usize = 256;
/// Largest revocation text accepted.
pub const MAX_REVOCATION_BYTES: usize = 8192;

const WHAT: &str = "revocation";
const TAG: &str = "shoal_revocation";

/// A signed revocation. Every value of this type has a verified signature: it is only made
/// by [`Revocation::issue`] or [`Revocation::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    issuer: PublicKey,
    subject: PublicKey,
    revoked_at: u64,
    reason: String,
    signature: [u8; SIGNATURE_LEN],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(rename = "shoal_revocation")]
    _version: u64,
    issuer: String,
    subject: String,
    revoked_at: u64,
    reason: String,
    signature: String,
}

impl Revocation {
    /// Revoke `subject`'s admission, signed by `key`, at `now` (unix seconds).
    pub fn issue(
        key: &NodeKey,
        subject: PublicKey,
        reason: &str,
        now: u64,
    ) -> Result<Self, AdmissionError> {
        codec::check_reason(reason, MAX_REASON_CHARS)?;
        codec::check_time(now, "revoked_at")?;
        let issuer = key.public();
        let signature = codec::sign_body(
            key,
            REVOCATION_DOMAIN,
            &body(&issuer, &subject, now, reason),
        )?;
        Ok(Self {
            issuer,
            subject,
            revoked_at: now,
            reason: reason.to_owned(),
            signature,
        })
    }

    /// Parse revocation text (at most [`MAX_REVOCATION_BYTES`]) and verify its signature.
    pub fn parse(input: impl AsRef<[u8]>) -> Result<Self, AdmissionError> {
        let map = codec::parse_object(input.as_ref(), MAX_REVOCATION_BYTES, WHAT)?;
        codec::check_tag(&map, TAG, REVOCATION_FORMAT_VERSION, WHAT)?;
        let wire: Wire = codec::from_map(map, WHAT)?;
        let issuer = codec::parse_key(&wire.issuer, "issuer")?;
        let subject = codec::parse_key(&wire.subject, "subject")?;
        codec::check_time(wire.revoked_at, "revoked_at")?;
        codec::check_reason(&wire.reason, MAX_REASON_CHARS)?;
        let signature = codec::parse_signature(&wire.signature, "signature")?;
        let signed = body(&issuer, &subject, wire.revoked_at, &wire.reason);
        if !codec::verify_body(&issuer, REVOCATION_DOMAIN, &signed, &signature) {
            return Err(AdmissionError::BadRevocationSignature);
        }
        Ok(Self {
            issuer,
            subject,
            revoked_at: wire.revoked_at,
            reason: wire.reason,
            signature,
        })
    }

    /// The revocation as pretty-printed JSON text.
    pub fn to_json_pretty(&self) -> String {
        let mut map = body(&self.issuer, &self.subject, self.revoked_at, &self.reason);
        map.insert(
            "signature".to_owned(),
            Value::String(codec::signature_b64(&self.signature)),
        );
        codec::pretty(map)
    }

    /// The revoking key.
    pub fn issuer(&self) -> PublicKey {
        self.issuer
    }

    /// The revoked key.
    pub fn subject(&self) -> PublicKey {
        self.subject
    }

    /// When it was issued (unix seconds, as claimed by the issuer).
    pub fn revoked_at(&self) -> u64 {
        self.revoked_at
    }

    /// The stated reason (may be empty).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

fn body(
    issuer: &PublicKey,
    subject: &PublicKey,
    revoked_at: u64,
    reason: &str,
) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(TAG.to_owned(), Value::from(REVOCATION_FORMAT_VERSION));
    map.insert("issuer".to_owned(), Value::String(codec::key_hex(issuer)));
    map.insert("subject".to_owned(), Value::String(codec::key_hex(subject)));
    map.insert("revoked_at".to_owned(), Value::from(revoked_at));
    map.insert("reason".to_owned(), Value::String(reason.to_owned()));
    map
}

/// The revocations a node knows, indexed by subject then issuer (one per pair: the first
/// one stored is kept). See the module docs for which are stored and which apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationSet {
    by_subject: BTreeMap<PublicKey, BTreeMap<PublicKey, Revocation>>,
}

impl RevocationSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Store `revocation` if its issuer is a trust root in `roots`, or is the key of
    /// `issuer` — the caller's verified admission of the issuing node — and that admission
    /// has role anchor. Returns whether it was new; an unauthorised issuer is an error
    /// (and nothing is stored).
    pub fn insert(
        &mut self,
        revocation: Revocation,
        roots: &TrustRoots,
        issuer: Option<&Admitted>,
    ) -> Result<bool, AdmissionError> {
        let authorised = roots.contains(&revocation.issuer)
            || issuer.is_some_and(|a| a.key == revocation.issuer && a.role == Role::Anchor);
        if !authorised {
            return Err(AdmissionError::RevocationNotAuthorized {
                issuer: codec::key_hex(&revocation.issuer),
            });
        }
        let by_issuer = self.by_subject.entry(revocation.subject).or_default();
        if by_issuer.contains_key(&revocation.issuer) {
            return Ok(false);
        }
        by_issuer.insert(revocation.issuer, revocation);
        Ok(true)
    }

    /// The revocation, if any, that revokes a certificate for `subject` issued by
    /// `cert_issuer`: one by `cert_issuer` itself, else one by any trust root.
    pub fn find(
        &self,
        subject: &PublicKey,
        cert_issuer: &PublicKey,
        roots: &TrustRoots,
    ) -> Option<&Revocation> {
        let by_issuer = self.by_subject.get(subject)?;
        by_issuer
            .get(cert_issuer)
            .or_else(|| by_issuer.values().find(|r| roots.contains(&r.issuer)))
    }

    /// Number of stored revocations.
    pub fn len(&self) -> usize {
        self.by_subject.values().map(BTreeMap::len).sum()
    }

    /// Whether no revocation is stored.
    pub fn is_empty(&self) -> bool {
        self.by_subject.is_empty()
    }

    /// Every stored revocation (by subject, then issuer).
    pub fn iter(&self) -> impl Iterator<Item = &Revocation> {
        self.by_subject.values().flat_map(BTreeMap::values)
    }
}
