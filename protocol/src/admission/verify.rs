//! Chain verification: [`verify_chain`] decides whether a [`Chain`] admits its leaf key at
//! a given time, and [`verify_peer`] applies it to an authenticated peer.

use super::codec::key_hex;
use super::{
    AdmissionError, Admitted, Chain, Communities, RevocationSet, Role, TrustRoots, MAX_CHAIN_LEN,
};
use shoal_crypto::PublicKey;

/// Verify `chain` against `roots` and `revocations` at `now` (unix seconds) and return who
/// it admits. Checks, in this order (the first failure is reported, naming the certificate
/// by its position, 0 = leaf):
///
/// 1. 1..=[`MAX_CHAIN_LEN`] certificates ([`AdmissionError::EmptyChain`],
///    [`AdmissionError::ChainTooLong`]);
/// 2. every certificate's field rules and signature under its issuer key
///    ([`AdmissionError::BadSignature`]);
/// 3. links: certificate `i` was issued by the subject of certificate `i + 1`
///    ([`AdmissionError::BrokenLink`]);
/// 4. the last certificate's issuer is a trust root ([`AdmissionError::UnknownRoot`]);
/// 5. every issuer that is not a trust root holds role anchor
///    ([`AdmissionError::IssuerNotAnchor`]) and granted only communities it holds itself
///    ([`AdmissionError::CommunityEscalation`]), and the sector and region its own
///    certificate is limited to, if any ([`AdmissionError::AttributeEscalation`]); a root
///    may grant any;
/// 6. every certificate is valid at `now` ([`AdmissionError::NotYetValid`],
///    [`AdmissionError::Expired`]);
/// 7. no certificate is revoked ([`AdmissionError::Revoked`]; see
///    [`RevocationSet::find`] for which revocations apply).
///
/// The result admits the **leaf subject**: the caller must make sure that is the key the
/// peer authenticated with ([`verify_peer`] does).
pub fn verify_chain(
    chain: &Chain,
    roots: &TrustRoots,
    revocations: &RevocationSet,
    now: u64,
) -> Result<Admitted, AdmissionError> {
    let certs = chain.certificates.as_slice();
    let (Some(leaf), Some(last)) = (certs.first(), certs.last()) else {
        return Err(AdmissionError::EmptyChain);
    };
    if certs.len() > MAX_CHAIN_LEN {
        return Err(AdmissionError::ChainTooLong {
            len: certs.len(),
            max: MAX_CHAIN_LEN,
        });
    }

    for (index, cert) in certs.iter().enumerate() {
        cert.check_fields()
            .map_err(|e| AdmissionError::InvalidCertificate {
                index,
                source: Box::new(e),
            })?;
        if !cert.signature_is_valid() {
            return Err(AdmissionError::BadSignature {
                index,
                name: cert.name.clone(),
            });
        }
    }

    // Each adjacent pair: `cert` (position `index`) and the certificate of its issuer.
    let pairs = || certs.iter().zip(certs.iter().skip(1)).enumerate();

    for (index, (cert, parent)) in pairs() {
        if cert.issuer != parent.subject {
            return Err(AdmissionError::BrokenLink {
                index,
                issuer: key_hex(&cert.issuer),
                next_subject: key_hex(&parent.subject),
            });
        }
    }

    if !roots.contains(&last.issuer) {
        return Err(AdmissionError::UnknownRoot {
            issuer: key_hex(&last.issuer),
        });
    }

    for (index, (cert, parent)) in pairs() {
        if roots.contains(&cert.issuer) {
            continue;
        }
        if parent.role != Role::Anchor {
            return Err(AdmissionError::IssuerNotAnchor {
                index: index.saturating_add(1),
                name: parent.name.clone(),
                issued: index,
            });
        }
        if let Some(community) = cert.communities.difference(&parent.communities).next() {
            return Err(AdmissionError::CommunityEscalation {
                index,
                name: cert.name.clone(),
                community: community.clone(),
            });
        }
        for (attribute, value, held) in [
            ("sector", &cert.sector, &parent.sector),
            ("region", &cert.region, &parent.region),
        ] {
            if let Some(held) = held {
                if value.as_ref() != Some(held) {
                    return Err(AdmissionError::AttributeEscalation {
                        index,
                        name: cert.name.clone(),
                        attribute,
                        value: value.clone(),
                        held: held.clone(),
                    });
                }
            }
        }
    }

    for (index, cert) in certs.iter().enumerate() {
        if now < cert.not_before {
            return Err(AdmissionError::NotYetValid {
                index,
                name: cert.name.clone(),
                not_before: cert.not_before,
                now,
            });
        }
        if now >= cert.not_after {
            return Err(AdmissionError::Expired {
                index,
                name: cert.name.clone(),
                not_after: cert.not_after,
                now,
            });
        }
    }

    for (index, cert) in certs.iter().enumerate() {
        if let Some(revocation) = revocations.find(&cert.subject, &cert.issuer, roots) {
            return Err(AdmissionError::Revoked {
                index,
                name: cert.name.clone(),
                revoked_at: revocation.revoked_at(),
                reason: revocation.reason().to_owned(),
            });
        }
    }

    let expires_at = certs
        .iter()
        .map(|c| c.not_after)
        .min()
        .unwrap_or(leaf.not_after);
    Ok(Admitted {
        key: leaf.subject,
        name: leaf.name.clone(),
        role: leaf.role,
        communities: Communities::Only(leaf.communities.clone()),
        expires_at,
        issuer: leaf.issuer,
    })
}

/// The admission of `peer` (a key the transport authenticated): a trust root is admitted as
/// such ([`Admitted::root`], whatever chain it sends); any other peer must present a chain
/// that [`verify_chain`] accepts and whose leaf certifies exactly `peer`.
pub fn verify_peer(
    peer: &PublicKey,
    chain: Option<&Chain>,
    roots: &TrustRoots,
    revocations: &RevocationSet,
    now: u64,
) -> Result<Admitted, AdmissionError> {
    if let Some(root) = roots.admitted(peer) {
        return Ok(root);
    }
    let chain = chain.ok_or_else(|| AdmissionError::MissingChain {
        peer: key_hex(peer),
    })?;
    let admitted = verify_chain(chain, roots, revocations, now)?;
    if admitted.key != *peer {
        return Err(AdmissionError::SubjectMismatch {
            peer: key_hex(peer),
            subject: key_hex(&admitted.key),
        });
    }
    Ok(admitted)
}
