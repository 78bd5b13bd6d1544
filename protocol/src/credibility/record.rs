//! The byte form of a [`Target`], for backends that keep targets on disk
//! ([`super::backend`]).
//!
//! ```text
//! version u8 (1)
//! claims        u32 count, each: publisher [32], ledger_index u64, published_at u64,
//!               confidence u8 (255: none), revoked u8, object_type text,
//!               pattern opt-text, observable opt-text
//! confirmations u32 count, each: reporter [32], at u64
//! refutations   u32 count, each: reporter [32], at u64
//! ```
//!
//! Integers are big-endian, text is `u32` length ‖ UTF-8, opt-text a `0`/`1` byte then
//! the text if `1`. Decoding is the wire format's bounds-checked reader: bad bytes give
//! a [`WireError`], never a panic.

use std::sync::Arc;

use shoal_crypto::PublicKey;

use super::evidence::{type_name, ClaimRecord, Report, Target};
use super::vecmap::SortedVecMap;
use crate::wire::codec::{put_bytes, put_u32, Reader};
use crate::wire::WireError;

/// The record format's version byte.
const VERSION: u8 = 1;

/// Longest text field decoded (ids, patterns and type names are far shorter).
const MAX_TEXT: usize = 1 << 20;

/// Most entries of one list decoded.
const MAX_ENTRIES: usize = 1 << 24;

/// Smallest encoded claim and report.
const MIN_CLAIM: usize = 32 + 8 + 8 + 1 + 1 + 4 + 1 + 1;
const MIN_REPORT: usize = 32 + 8;

fn put_opt(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(t) => {
            out.push(1);
            put_bytes(out, t.as_bytes());
        }
        None => out.push(0),
    }
}

fn opt(r: &mut Reader<'_>, field: &'static str) -> Result<Option<String>, WireError> {
    match r.u8(field)? {
        0 => Ok(None),
        1 => r.string(field, MAX_TEXT).map(Some),
        tag => Err(WireError::UnknownTag {
            message: field,
            tag,
        }),
    }
}

fn put_reports(out: &mut Vec<u8>, reports: &SortedVecMap<PublicKey, Report>) {
    put_u32(out, reports.len());
    for (k, rep) in reports {
        out.extend_from_slice(&k.0);
        out.extend_from_slice(&rep.at.to_be_bytes());
    }
}

fn reports(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<SortedVecMap<PublicKey, Report>, WireError> {
    let n = r.count(field, MAX_ENTRIES, MIN_REPORT)?;
    let mut out = SortedVecMap::new();
    for _ in 0..n {
        let k = r.public_key(field)?;
        let at = r.u64(field)?;
        out.insert(k, Report { at });
    }
    Ok(out)
}

impl Target {
    /// The target's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            64_usize.saturating_add(self.claims.len().saturating_mul(MIN_CLAIM + 96)),
        );
        out.push(VERSION);
        put_u32(&mut out, self.claims.len());
        for (k, c) in &self.claims {
            out.extend_from_slice(&k.0);
            out.extend_from_slice(&c.ledger_index.to_be_bytes());
            out.extend_from_slice(&c.published_at.to_be_bytes());
            out.push(c.confidence.unwrap_or(u8::MAX));
            out.push(u8::from(c.revoked));
            put_bytes(&mut out, c.object_type.as_bytes());
            put_opt(&mut out, c.pattern.as_deref());
            put_opt(&mut out, c.observable.as_deref());
        }
        put_reports(&mut out, &self.confirmations);
        put_reports(&mut out, &self.refutations);
        out
    }

    /// A target from its bytes ([`Target::encode`]).
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::plain(bytes);
        let version = r.u8("target version")?;
        if version != VERSION {
            return Err(WireError::UnsupportedVersion(version));
        }
        let n = r.count("claims", MAX_ENTRIES, MIN_CLAIM)?;
        let mut claims = SortedVecMap::new();
        for _ in 0..n {
            let publisher = r.public_key("claim publisher")?;
            let ledger_index = r.u64("claim ledger index")?;
            let published_at = r.u64("claim time")?;
            let confidence = Some(r.u8("claim confidence")?).filter(|c| *c != u8::MAX);
            let revoked = match r.u8("claim revoked")? {
                0 => false,
                1 => true,
                tag => {
                    return Err(WireError::UnknownTag {
                        message: "claim revoked",
                        tag,
                    })
                }
            };
            let object_type = type_name(r.string("claim type", MAX_TEXT)?);
            let pattern = opt(&mut r, "claim pattern")?.map(Arc::from);
            let observable = opt(&mut r, "claim observable")?.map(type_name);
            claims.insert(
                publisher,
                ClaimRecord {
                    object_type,
                    pattern,
                    confidence,
                    revoked,
                    observable,
                    ledger_index,
                    published_at,
                },
            );
        }
        let confirmations = reports(&mut r, "confirmations")?;
        let refutations = reports(&mut r, "refutations")?;
        r.finish()?;
        Ok(Target {
            claims,
            confirmations,
            refutations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report() -> impl Strategy<Value = (u8, u64)> {
        (any::<u8>(), any::<u64>())
    }

    fn target() -> impl Strategy<Value = Target> {
        let claim = (
            any::<u8>(),
            any::<u64>(),
            any::<u64>(),
            proptest::option::of(0u8..=100),
            any::<bool>(),
            prop_oneof![Just("indicator".to_owned()), "x-[a-z]{1,8}"],
            proptest::option::of("\\PC{0,40}"),
            proptest::option::of(prop_oneof![Just("ipv4-addr".to_owned()), "[a-z-]{1,10}"]),
        );
        (
            proptest::collection::vec(claim, 0..4),
            proptest::collection::vec(report(), 0..4),
            proptest::collection::vec(report(), 0..4),
        )
            .prop_map(|(claims, confirmations, refutations)| {
                let mut t = Target::default();
                for (k, li, at, confidence, revoked, ty, pattern, observable) in claims {
                    t.claims.insert(
                        PublicKey([k; 32]),
                        ClaimRecord {
                            object_type: type_name(ty),
                            pattern: pattern.map(Arc::from),
                            confidence,
                            revoked,
                            observable: observable.map(type_name),
                            ledger_index: li,
                            published_at: at,
                        },
                    );
                }
                for (k, at) in confirmations {
                    t.confirmations.insert(PublicKey([k; 32]), Report { at });
                }
                for (k, at) in refutations {
                    t.refutations.insert(PublicKey([k; 32]), Report { at });
                }
                t
            })
    }

    proptest! {
        #[test]
        fn targets_round_trip(t in target()) {
            let bytes = t.encode();
            prop_assert_eq!(Target::decode(&bytes), Ok(t));
        }

        #[test]
        fn cut_or_damaged_records_are_errors_not_panics(
            t in target(),
            cut in any::<usize>(),
            flip in any::<(usize, u8)>(),
        ) {
            let bytes = t.encode();
            let cut = cut % bytes.len().max(1);
            prop_assert!(Target::decode(bytes.get(..cut).unwrap_or_default()).is_err());
            let mut damaged = bytes;
            let at = flip.0 % damaged.len();
            if let Some(b) = damaged.get_mut(at) {
                *b ^= flip.1;
            }
            let _ = Target::decode(&damaged);
        }
    }

    #[test]
    fn unknown_versions_and_trailing_bytes_are_refused() {
        let mut bytes = Target::default().encode();
        assert_eq!(Target::decode(&bytes), Ok(Target::default()));
        bytes.push(0);
        assert_eq!(Target::decode(&bytes), Err(WireError::TrailingBytes(1)));
        assert_eq!(
            Target::decode(&[2, 0, 0, 0, 0]),
            Err(WireError::UnsupportedVersion(2))
        );
    }
}
