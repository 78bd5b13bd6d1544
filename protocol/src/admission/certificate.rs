//! [`Certificate`]s (an issuer vouching for a subject key, its name, role, communities and
//! validity period), the [`Grant`] an anchor hands out, and the [`Chain`] file a node
//! presents to its peers.
//!
//! Certificate JSON (all members required except `sector` and `region`, no others
//! allowed):
//!
//! ```json
//! {"version": 1, "serial": "<16 hex>", "subject": "<64 hex>", "name": "…",
//!  "role": "member" | "anchor", "communities": ["a", "b"],
//!  "sector": "energy", "region": "north",
//!  "not_before": 1700000000, "not_after": 1731536000,
//!  "issuer": "<64 hex>", "signature": "<base64>"}
//! ```
//!
//! `sector` and `region` are the attributes the admitting anchor (a regulator) vouches
//! for: shown next to a member's signed acknowledgements of advisories. They are absent
//! when not granted (never `null`); an anchor whose own certificate names a sector or
//! region may only grant that one.
//!
//! The signature is Ed25519 by `issuer` over [`CERTIFICATE_DOMAIN`] ‖ RFC 8785 canonical JSON
//! of the object without `"signature"`. Every member has exactly one accepted spelling
//! (lowercase hex, sorted duplicate-free communities, integer times), so a parsed certificate
//! re-serialises to exactly the bytes that were signed.
//!
//! Chain file: `{"shoal_admission_chain": 1, "certificates": [leaf, …, root-issued]}`.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{Map, Value};
use shoal_crypto::keys::SIGNATURE_LEN;
use shoal_crypto::{NodeKey, PublicKey};

use super::request::AdmissionRequest;
use super::{codec, AdmissionError, Role, MAX_CHAIN_LEN};
use crate::envelope::check_community;

/// Domain separator of certificate signatures.
pub const CERTIFICATE_DOMAIN: &[u8] = b"shoal/admission/v1\0";
/// Certificate format version (the `version` member).
pub const CERTIFICATE_VERSION: u64 = 1;
/// Chain file format version (the `shoal_admission_chain` member).
pub const CHAIN_FORMAT_VERSION: u64 = 1;
/// Largest chain file accepted: 64 KiB.
pub const MAX_CHAIN_BYTES: usize = 64 * 1024;
/// Most communities one certificate may list.
pub const MAX_COMMUNITIES: usize = 128;
/// How far [`Grant::for_days`] backdates `not_before`, so that a certificate is usable at
/// once by peers whose clocks run a little behind the issuer's.
pub const ISSUE_BACKDATE_SECS: u64 = 300;

const SECS_PER_DAY: u64 = 86_400;
const CERT_WHAT: &str = "admission certificate";
const CHAIN_WHAT: &str = "admission chain";
const CHAIN_TAG: &str = "shoal_admission_chain";

/// What an issuer grants a subject: role, communities and validity period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Member, or anchor (may issue certificates itself).
    pub role: Role,
    /// Communities the subject is admitted to.
    pub communities: BTreeSet<String>,
    /// Start of validity (unix seconds, inclusive).
    pub not_before: u64,
    /// End of validity (unix seconds, exclusive).
    pub not_after: u64,
    /// The subject's sector, as the issuer vouches for it.
    pub sector: Option<String>,
    /// The subject's region, as the issuer vouches for it.
    pub region: Option<String>,
}

impl Grant {
    /// A grant valid from `not_before` (inclusive) to `not_after` (exclusive).
    pub fn new<I, S>(role: Role, communities: I, not_before: u64, not_after: u64) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            role,
            communities: communities.into_iter().map(Into::into).collect(),
            not_before,
            not_after,
            sector: None,
            region: None,
        }
    }

    /// The same grant, vouching for the subject's sector and region.
    pub fn with_attributes(mut self, sector: Option<String>, region: Option<String>) -> Self {
        self.sector = sector;
        self.region = region;
        self
    }

    /// A grant valid for `days` days from `now` (with `not_before` backdated by
    /// [`ISSUE_BACKDATE_SECS`] for clock skew).
    pub fn for_days<I, S>(role: Role, communities: I, now: u64, days: u64) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(
            role,
            communities,
            now.saturating_sub(ISSUE_BACKDATE_SECS),
            now.saturating_add(days.saturating_mul(SECS_PER_DAY)),
        )
    }
}

/// One admission certificate. Construct with [`Certificate::issue`] or by parsing a
/// [`Chain`]; a certificate value is only trusted once [`super::verify_chain`] accepted the
/// chain holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// Issuer-chosen serial number (from caller-supplied randomness).
    pub serial: [u8; 8],
    /// The certified key.
    pub subject: PublicKey,
    /// The subject's display name.
    pub name: String,
    /// Member or anchor.
    pub role: Role,
    /// Communities the subject is admitted to (sorted, deduplicated by construction).
    pub communities: BTreeSet<String>,
    /// The subject's sector, if the issuer vouches for one.
    pub sector: Option<String>,
    /// The subject's region, if the issuer vouches for one.
    pub region: Option<String>,
    /// Start of validity (unix seconds, inclusive).
    pub not_before: u64,
    /// End of validity (unix seconds, exclusive).
    pub not_after: u64,
    /// The key that signed this certificate.
    pub issuer: PublicKey,
    /// Ed25519 signature by `issuer` (see the module docs for the signed bytes).
    pub signature: [u8; SIGNATURE_LEN],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CertificateWire {
    #[serde(rename = "version")]
    _version: u64,
    serial: String,
    subject: String,
    name: String,
    role: Role,
    communities: Vec<String>,
    #[serde(default)]
    sector: Option<String>,
    #[serde(default)]
    region: Option<String>,
    not_before: u64,
    not_after: u64,
    issuer: String,
    signature: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChainWire {
    #[serde(rename = "shoal_admission_chain")]
    _version: u64,
    certificates: Vec<Value>,
}

impl Certificate {
    /// Issue a certificate for `subject` named `name` with `grant`, signed by `issuer_key`.
    /// `serial` is caller-supplied randomness. Does not check that the issuer may grant
    /// this (see [`Chain::issue`] for that); checks every field rule.
    pub fn issue(
        issuer_key: &NodeKey,
        subject: PublicKey,
        name: &str,
        grant: &Grant,
        serial: [u8; 8],
    ) -> Result<Self, AdmissionError> {
        let mut cert = Self {
            serial,
            subject,
            name: name.to_owned(),
            role: grant.role,
            communities: grant.communities.clone(),
            sector: grant.sector.clone(),
            region: grant.region.clone(),
            not_before: grant.not_before,
            not_after: grant.not_after,
            issuer: issuer_key.public(),
            signature: [0; SIGNATURE_LEN],
        };
        cert.check_fields()?;
        cert.signature = codec::sign_body(issuer_key, CERTIFICATE_DOMAIN, &cert.body())?;
        Ok(cert)
    }

    /// Check every field rule: name, communities (valid, at most [`MAX_COMMUNITIES`]),
    /// times in range and `not_before < not_after`. Not the signature.
    pub fn check_fields(&self) -> Result<(), AdmissionError> {
        codec::check_name(&self.name)?;
        if self.communities.len() > MAX_COMMUNITIES {
            return Err(AdmissionError::TooManyCommunities {
                count: self.communities.len(),
                max: MAX_COMMUNITIES,
            });
        }
        for community in &self.communities {
            check_community(community).map_err(|source| AdmissionError::InvalidCommunity {
                community: community.clone(),
                source,
            })?;
        }
        for (attribute, value) in [("sector", &self.sector), ("region", &self.region)] {
            if let Some(value) = value {
                check_community(value).map_err(|source| AdmissionError::InvalidAttribute {
                    attribute,
                    value: value.clone(),
                    source,
                })?;
            }
        }
        codec::check_time(self.not_before, "not_before")?;
        codec::check_time(self.not_after, "not_after")?;
        if self.not_before >= self.not_after {
            return Err(AdmissionError::EmptyValidity {
                not_before: self.not_before,
                not_after: self.not_after,
            });
        }
        Ok(())
    }

    /// Whether the signature verifies under `issuer` over this certificate's fields.
    pub fn signature_is_valid(&self) -> bool {
        codec::verify_body(
            &self.issuer,
            CERTIFICATE_DOMAIN,
            &self.body(),
            &self.signature,
        )
    }

    /// Whether `now` lies in `[not_before, not_after)`.
    pub fn is_valid_at(&self, now: u64) -> bool {
        self.not_before <= now && now < self.not_after
    }

    /// The serial as 16 hex digits.
    pub fn serial_hex(&self) -> String {
        hex::encode(self.serial)
    }

    /// The certificate as a JSON value (with its signature).
    pub fn to_json_value(&self) -> Value {
        let mut map = self.body();
        map.insert(
            "signature".to_owned(),
            Value::String(codec::signature_b64(&self.signature)),
        );
        Value::Object(map)
    }

    /// Read one certificate from its JSON value (syntax and field rules; not the signature).
    pub fn from_json_value(value: Value) -> Result<Self, AdmissionError> {
        let Value::Object(map) = value else {
            return Err(AdmissionError::Malformed {
                what: CERT_WHAT,
                reason: "expected a JSON object".to_owned(),
            });
        };
        codec::check_tag(&map, "version", CERTIFICATE_VERSION, CERT_WHAT)?;
        // One spelling: an attribute not granted is absent, not `null`.
        for attribute in ["sector", "region"] {
            if map.get(attribute).is_some_and(Value::is_null) {
                return Err(AdmissionError::Malformed {
                    what: CERT_WHAT,
                    reason: format!("{attribute:?} is null; leave it out when not granted"),
                });
            }
        }
        let wire: CertificateWire = codec::from_map(map, CERT_WHAT)?;
        let mut communities = BTreeSet::new();
        for community in wire.communities {
            if communities
                .last()
                .is_some_and(|last: &String| *last >= community)
            {
                return Err(AdmissionError::CommunitiesNotCanonical { community });
            }
            communities.insert(community);
        }
        let cert = Self {
            serial: codec::parse_serial(&wire.serial)?,
            subject: codec::parse_key(&wire.subject, "subject")?,
            name: wire.name,
            role: wire.role,
            communities,
            sector: wire.sector,
            region: wire.region,
            not_before: wire.not_before,
            not_after: wire.not_after,
            issuer: codec::parse_key(&wire.issuer, "issuer")?,
            signature: codec::parse_signature(&wire.signature, "signature")?,
        };
        cert.check_fields()?;
        Ok(cert)
    }

    /// The signed members (everything but the signature).
    fn body(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("version".to_owned(), Value::from(CERTIFICATE_VERSION));
        map.insert("serial".to_owned(), Value::String(self.serial_hex()));
        map.insert(
            "subject".to_owned(),
            Value::String(codec::key_hex(&self.subject)),
        );
        map.insert("name".to_owned(), Value::String(self.name.clone()));
        map.insert(
            "role".to_owned(),
            Value::String(self.role.as_str().to_owned()),
        );
        map.insert(
            "communities".to_owned(),
            Value::Array(
                self.communities
                    .iter()
                    .map(|c| Value::String(c.clone()))
                    .collect(),
            ),
        );
        if let Some(sector) = &self.sector {
            map.insert("sector".to_owned(), Value::String(sector.clone()));
        }
        if let Some(region) = &self.region {
            map.insert("region".to_owned(), Value::String(region.clone()));
        }
        map.insert("not_before".to_owned(), Value::from(self.not_before));
        map.insert("not_after".to_owned(), Value::from(self.not_after));
        map.insert(
            "issuer".to_owned(),
            Value::String(codec::key_hex(&self.issuer)),
        );
        map
    }
}

/// An admission chain: the node's own (leaf) certificate first, then the certificate of
/// its issuer, and so on; the last certificate is issued by a trust root. A root's own key
/// needs no chain. Only [`super::verify_chain`] decides whether a chain admits anyone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chain {
    /// Leaf first; `certificates[i + 1]` certifies the issuer of `certificates[i]`.
    pub certificates: Vec<Certificate>,
}

impl Chain {
    /// A chain of these certificates (leaf first), unchecked.
    pub fn new(certificates: Vec<Certificate>) -> Self {
        Self { certificates }
    }

    /// The leaf (the holder's own) certificate.
    pub fn leaf(&self) -> Option<&Certificate> {
        self.certificates.first()
    }

    /// Number of certificates.
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// Whether the chain has no certificate.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// The chain file as pretty-printed JSON text.
    pub fn to_json_pretty(&self) -> String {
        let mut map = Map::new();
        map.insert(CHAIN_TAG.to_owned(), Value::from(CHAIN_FORMAT_VERSION));
        map.insert(
            "certificates".to_owned(),
            Value::Array(
                self.certificates
                    .iter()
                    .map(Certificate::to_json_value)
                    .collect(),
            ),
        );
        codec::pretty(map)
    }

    /// Parse a chain file (at most [`MAX_CHAIN_BYTES`], 1..=[`MAX_CHAIN_LEN`] certificates,
    /// each well-formed). Signatures and links are checked by [`super::verify_chain`].
    pub fn parse(input: impl AsRef<[u8]>) -> Result<Self, AdmissionError> {
        let map = codec::parse_object(input.as_ref(), MAX_CHAIN_BYTES, CHAIN_WHAT)?;
        codec::check_tag(&map, CHAIN_TAG, CHAIN_FORMAT_VERSION, CHAIN_WHAT)?;
        let wire: ChainWire = codec::from_map(map, CHAIN_WHAT)?;
        if wire.certificates.is_empty() {
            return Err(AdmissionError::EmptyChain);
        }
        if wire.certificates.len() > MAX_CHAIN_LEN {
            return Err(AdmissionError::ChainTooLong {
                len: wire.certificates.len(),
                max: MAX_CHAIN_LEN,
            });
        }
        let certificates = wire
            .certificates
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                Certificate::from_json_value(value).map_err(|e| {
                    AdmissionError::InvalidCertificate {
                        index,
                        source: Box::new(e),
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { certificates })
    }

    /// Admit the requester: sign a certificate for `request` with `grant` and return the
    /// requester's chain (the new certificate followed by the anchor's own chain).
    ///
    /// `anchor_chain` is `None` when `anchor_key` is a trust root (a root may grant any
    /// community). Otherwise it must be the anchor's own chain: its leaf must certify
    /// `anchor_key` with role anchor, be valid at `now`, and hold every community granted;
    /// and the resulting chain must stay within [`MAX_CHAIN_LEN`] (an anchor is refused
    /// where its own members' chains would exceed it).
    pub fn issue(
        anchor_key: &NodeKey,
        anchor_chain: Option<&Chain>,
        request: &AdmissionRequest,
        grant: &Grant,
        now: u64,
        serial: [u8; 8],
    ) -> Result<Chain, AdmissionError> {
        let parent: &[Certificate] = match anchor_chain {
            None => &[],
            Some(chain) => {
                check_anchor_chain(anchor_key, chain, grant, now)?;
                &chain.certificates
            }
        };
        let len = parent.len().saturating_add(1);
        if len > MAX_CHAIN_LEN {
            return Err(AdmissionError::ChainTooLong {
                len,
                max: MAX_CHAIN_LEN,
            });
        }
        if grant.role == Role::Anchor && len >= MAX_CHAIN_LEN {
            return Err(AdmissionError::AnchorTooDeep { max: MAX_CHAIN_LEN });
        }
        let cert = Certificate::issue(
            anchor_key,
            request.public_key(),
            request.name(),
            grant,
            serial,
        )?;
        let mut certificates = Vec::with_capacity(len);
        certificates.push(cert);
        certificates.extend_from_slice(parent);
        Ok(Chain { certificates })
    }
}

/// The issuing anchor's own chain must certify it as an anchor, now, holding every
/// community it grants.
fn check_anchor_chain(
    anchor_key: &NodeKey,
    chain: &Chain,
    grant: &Grant,
    now: u64,
) -> Result<(), AdmissionError> {
    let leaf = chain.leaf().ok_or(AdmissionError::EmptyChain)?;
    let anchor = anchor_key.public();
    if leaf.subject != anchor {
        return Err(AdmissionError::AnchorChainMismatch {
            anchor: codec::key_hex(&anchor),
            subject: codec::key_hex(&leaf.subject),
        });
    }
    if leaf.role != Role::Anchor {
        return Err(AdmissionError::NotAnAnchor);
    }
    if !leaf.is_valid_at(now) {
        return Err(AdmissionError::AnchorCertificateNotValid {
            not_before: leaf.not_before,
            not_after: leaf.not_after,
            now,
        });
    }
    if let Some(community) = grant.communities.difference(&leaf.communities).next() {
        return Err(AdmissionError::CommunityNotHeld {
            community: community.clone(),
        });
    }
    for (attribute, held, granted) in [
        ("sector", &leaf.sector, &grant.sector),
        ("region", &leaf.region, &grant.region),
    ] {
        if let Some(held) = held {
            if granted.as_ref() != Some(held) {
                return Err(AdmissionError::AttributeNotHeld {
                    attribute,
                    held: held.clone(),
                    granted: granted.clone(),
                });
            }
        }
    }
    Ok(())
}
