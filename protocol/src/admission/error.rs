//! [`AdmissionError`]: every way reading, issuing or verifying admission data can fail, one
//! variant per rejection, each with a message that tells the operator what to do.

use shoal_crypto::NoteError;

use crate::envelope::EnvelopeError;
use crate::jcs::JcsError;
use crate::json::JsonError;

/// Admission requests, certificates, chains, trust roots and revocations: why one was
/// rejected.
///
/// Certificate positions are chain indices: `0` is the peer's own (leaf) certificate, the
/// last one was issued by a trust root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    // ---- reading documents -------------------------------------------------------------
    /// The input is larger than this kind of document may be (checked before parsing).
    #[error("{what} is {size} bytes, more than the {max}-byte limit; is this the right file?")]
    TooLarge {
        /// The kind of document.
        what: &'static str,
        /// Input size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The input is not acceptable JSON.
    #[error("{what} is not valid JSON: {source}")]
    Json {
        /// The kind of document.
        what: &'static str,
        /// The JSON problem.
        #[source]
        source: JsonError,
    },
    /// The JSON does not have the shape of this kind of document.
    #[error("{what} is malformed: {reason}")]
    Malformed {
        /// The kind of document.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The document is of a format version this software does not understand.
    #[error("{what} has format version {found}; this software understands version {supported} only (upgrade Shoal or re-issue it)")]
    UnsupportedVersion {
        /// The kind of document.
        what: &'static str,
        /// The version found.
        found: u64,
        /// The version supported.
        supported: u64,
    },
    /// One certificate of a chain file is malformed.
    #[error("certificate #{index} of the admission chain: {source}")]
    InvalidCertificate {
        /// Its position in the chain (0 = leaf).
        index: usize,
        /// The problem.
        #[source]
        source: Box<AdmissionError>,
    },
    /// A public key is not 64 lowercase hex digits.
    #[error("{field} must be an Ed25519 public key as 64 lowercase hex digits")]
    InvalidKey {
        /// The member holding the key.
        field: &'static str,
    },
    /// A signature is not base64 of 64 bytes.
    #[error("{field} must be a 64-byte Ed25519 signature in padded standard base64")]
    InvalidSignatureEncoding {
        /// The member holding the signature.
        field: &'static str,
    },
    /// A certificate serial is not 16 lowercase hex digits.
    #[error("certificate serial must be 16 lowercase hex digits")]
    InvalidSerial,
    /// A display name breaks the naming rules.
    #[error("name {name:?} {reason}; use 1 to 128 printable characters without leading or trailing spaces")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A sector or region is not a valid name (the community name rules apply).
    #[error("{attribute} {value:?} is invalid: {source}")]
    InvalidAttribute {
        /// `sector` or `region`.
        attribute: &'static str,
        /// The rejected value.
        value: String,
        /// Why.
        #[source]
        source: EnvelopeError,
    },
    /// A community name is not valid (see `envelope::check_community`).
    #[error("community {community:?} is invalid: {source}")]
    InvalidCommunity {
        /// The rejected name.
        community: String,
        /// Why.
        #[source]
        source: EnvelopeError,
    },
    /// A certificate's communities are not sorted or contain a duplicate.
    #[error("certificate communities must be sorted and free of duplicates ({community:?} is out of order or repeated)")]
    CommunitiesNotCanonical {
        /// The first community out of place.
        community: String,
    },
    /// A certificate lists more communities than allowed.
    #[error("certificate lists {count} communities, more than the limit of {max}")]
    TooManyCommunities {
        /// How many were listed.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A time is beyond what signed JSON can carry exactly.
    #[error("{field} = {value} is out of range (unix seconds up to {max})")]
    TimeOutOfRange {
        /// The member holding the time.
        field: &'static str,
        /// Its value.
        value: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// A validity period that ends before (or when) it starts.
    #[error(
        "validity period is empty: not_before {not_before} is not before not_after {not_after}"
    )]
    EmptyValidity {
        /// Start (unix seconds).
        not_before: u64,
        /// End (unix seconds).
        not_after: u64,
    },
    /// A revocation reason is too long or contains control characters.
    #[error("revocation reason {reason}; use at most 256 printable characters")]
    InvalidReason {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A trust root verifier key could not be read.
    #[error("trust root #{index} ({vkey:?}) is not a valid verifier key (expected <name>+<8 hex digit key id>+<base64 key>): {source}")]
    BadTrustRoot {
        /// Its position in the configured list.
        index: usize,
        /// The text given.
        vkey: String,
        /// The parse error.
        #[source]
        source: NoteError,
    },
    /// Canonicalising the signed body failed (cannot happen for values within the limits).
    #[error("cannot canonicalise the signed body: {0}")]
    Jcs(#[from] JcsError),

    // ---- signatures --------------------------------------------------------------------
    /// An admission request's proof-of-possession signature does not verify.
    #[error("admission request signature does not verify: the request was altered or not made with the key it names; ask the requester for a fresh request")]
    BadRequestSignature,
    /// A certificate's signature does not verify under its issuer key.
    #[error("certificate #{index} ({name:?}) has a signature that does not verify under its issuer key: the chain was altered or corrupted; obtain a fresh copy from its issuer")]
    BadSignature {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// Subject name of the certificate.
        name: String,
    },
    /// A revocation's signature does not verify.
    #[error("revocation signature does not verify: the revocation was altered or not made by the key it names")]
    BadRevocationSignature,

    // ---- chain verification ------------------------------------------------------------
    /// The chain holds no certificate.
    #[error("admission chain is empty")]
    EmptyChain,
    /// The chain is longer than allowed (root → anchor → anchor → member at most).
    #[error("admission chain has {len} certificates, more than the limit of {max} (at most two anchor levels below a trust root)")]
    ChainTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Certificate `index` was not issued by the subject of certificate `index + 1`.
    #[error("certificate #{index} was issued by {issuer} but the next certificate is for {next_subject}: the chain is out of order or incomplete")]
    BrokenLink {
        /// Position of the certificate whose issuer does not match.
        index: usize,
        /// Its issuer (hex).
        issuer: String,
        /// The next certificate's subject (hex).
        next_subject: String,
    },
    /// The chain does not end at a configured trust root.
    #[error("admission chain ends at issuer {issuer}, which is not one of this node's trust roots; add its verifier key to the trust roots or obtain a certificate from a trusted anchor")]
    UnknownRoot {
        /// The last issuer (hex).
        issuer: String,
    },
    /// A key that issued a certificate is neither a trust root nor certified as an anchor.
    #[error("certificate #{index} ({name:?}) has role member but its key issued certificate #{issued}; only anchors may issue certificates")]
    IssuerNotAnchor {
        /// Position of the issuer's own certificate.
        index: usize,
        /// Its subject name.
        name: String,
        /// Position of the certificate it issued.
        issued: usize,
    },
    /// A certificate is not valid yet.
    #[error("certificate #{index} ({name:?}) is not valid before {not_before} (now {now}); check the clocks or wait")]
    NotYetValid {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// Subject name.
        name: String,
        /// Start of validity.
        not_before: u64,
        /// The time checked.
        now: u64,
    },
    /// A certificate has expired.
    #[error("certificate #{index} ({name:?}) expired at {not_after} (now {now}); ask its issuer for a new certificate")]
    Expired {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// Subject name.
        name: String,
        /// End of validity.
        not_after: u64,
        /// The time checked.
        now: u64,
    },
    /// An intermediate anchor granted a community it does not hold itself.
    #[error("certificate #{index} ({name:?}) grants community {community:?}, which its issuer is not admitted to")]
    CommunityEscalation {
        /// Position of the certificate granting too much.
        index: usize,
        /// Its subject name.
        name: String,
        /// The community not held by the issuer.
        community: String,
    },
    /// An intermediate anchor vouched for a sector or region other than its own.
    #[error("certificate #{index} ({name:?}) has {attribute} {value:?}, but its issuer is limited to {attribute} {held:?}")]
    AttributeEscalation {
        /// Position of the certificate.
        index: usize,
        /// Its subject name.
        name: String,
        /// `sector` or `region`.
        attribute: &'static str,
        /// What it says (`None`: nothing).
        value: Option<String>,
        /// What its issuer's certificate is limited to.
        held: String,
    },
    /// A certificate in the chain has been revoked.
    #[error("certificate #{index} ({name:?}) was revoked at {revoked_at}: {reason:?}")]
    Revoked {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// Subject name.
        name: String,
        /// When the revocation was issued.
        revoked_at: u64,
        /// Its stated reason.
        reason: String,
    },
    /// The peer presented no chain and is not a trust root.
    #[error("peer {peer} presented no admission chain and is not a trust root")]
    MissingChain {
        /// The peer key (hex).
        peer: String,
    },
    /// The chain certifies a different key than the peer's.
    #[error("admission chain certifies {subject}, not the peer's key {peer}")]
    SubjectMismatch {
        /// The peer key (hex).
        peer: String,
        /// The leaf certificate's subject (hex).
        subject: String,
    },

    // ---- issuing -----------------------------------------------------------------------
    /// The anchor's own chain certifies another key.
    #[error("the anchor chain given certifies {subject}, not this node's key {anchor}; pass this node's own admission chain")]
    AnchorChainMismatch {
        /// The signing key (hex).
        anchor: String,
        /// The anchor chain's leaf subject (hex).
        subject: String,
    },
    /// The issuing node is certified as a member, not an anchor.
    #[error("this node is certified as a member, not an anchor, and cannot issue certificates")]
    NotAnAnchor,
    /// The issuing node's own certificate is not valid now.
    #[error("this node's own certificate is valid from {not_before} to {not_after}, not now ({now}); renew it before issuing")]
    AnchorCertificateNotValid {
        /// Start of validity.
        not_before: u64,
        /// End of validity.
        not_after: u64,
        /// The time checked.
        now: u64,
    },
    /// The issuer tried to grant a community it does not hold.
    #[error("cannot grant community {community:?}: this anchor is not admitted to it")]
    CommunityNotHeld {
        /// The community.
        community: String,
    },
    /// The issuer is limited to one sector or region and tried to grant another (or none).
    #[error(
        "cannot grant {attribute} {granted:?}: this anchor is limited to {attribute} {held:?}"
    )]
    AttributeNotHeld {
        /// `sector` or `region`.
        attribute: &'static str,
        /// What the anchor's certificate names.
        held: String,
        /// What was asked for.
        granted: Option<String>,
    },
    /// An anchor at this depth could not issue any valid certificate.
    #[error("cannot certify an anchor here: its members' chains would exceed {max} certificates")]
    AnchorTooDeep {
        /// The chain length limit.
        max: usize,
    },

    // ---- revocations -------------------------------------------------------------------
    /// The revocation's issuer is neither a trust root nor an admitted anchor.
    #[error("revocation issued by {issuer}, which is neither a trust root nor an admitted anchor; ignored")]
    RevocationNotAuthorized {
        /// The issuer (hex).
        issuer: String,
    },
}
