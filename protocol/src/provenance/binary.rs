//! The compact binary form of equivocation proofs (layout in the module docs): a writer,
//! and a bounds-checked reader that checks every length against its limit and the
//! remaining input before allocating.

use shoal_crypto::hash::Hash;
use shoal_crypto::PublicKey;

use super::{
    EquivocationProof, Evidence, Included, Limits, ProofError, Side, MAGIC, MAX_AUDIT_PATH,
    MAX_CHECKPOINT_BYTES, PROOF_VERSION,
};

const KIND_CHECKPOINTS: u8 = 1;
const KIND_ENTRIES: u8 = 2;
const KIND_INCLUSION: u8 = 3;

/// A `u32` length prefix and the bytes. Lengths above `u32::MAX` cannot be represented;
/// they are written as `u32::MAX`, which every decoder limit refuses.
fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

fn put_included(out: &mut Vec<u8>, inc: &Included) {
    put_bytes(out, inc.checkpoint.as_bytes());
    out.extend_from_slice(&inc.index.to_be_bytes());
    out.extend_from_slice(&inc.leaf_hash);
    // Paths longer than a u8 count are written as 255 hashes, which decoding refuses.
    out.push(u8::try_from(inc.proof.len()).unwrap_or(u8::MAX));
    for h in &inc.proof {
        out.extend_from_slice(h);
    }
}

/// Everything but `detected_at`.
pub(super) fn canonical(proof: &EquivocationProof) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.push(PROOF_VERSION);
    out.extend_from_slice(&proof.publisher.0);
    match &proof.evidence {
        Evidence::Checkpoints { a, b } => {
            out.push(KIND_CHECKPOINTS);
            put_bytes(&mut out, a.as_bytes());
            put_bytes(&mut out, b.as_bytes());
        }
        Evidence::Entries { a, b } => {
            out.push(KIND_ENTRIES);
            put_bytes(&mut out, a);
            put_bytes(&mut out, b);
        }
        Evidence::Inclusion { a, b } => {
            out.push(KIND_INCLUSION);
            put_included(&mut out, a);
            put_included(&mut out, b);
        }
    }
    out
}

pub(super) fn encode(proof: &EquivocationProof) -> Vec<u8> {
    let mut out = canonical(proof);
    out.extend_from_slice(&proof.detected_at.to_be_bytes());
    out
}

/// A bounds-checked cursor over untrusted bytes.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], ProofError> {
        if n > self.rest.len() {
            return Err(ProofError::Truncated { field });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], ProofError> {
        self.take(N, field)?
            .try_into()
            .map_err(|_| ProofError::Truncated { field })
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, ProofError> {
        Ok(u8::from_be_bytes(self.array::<1>(field)?))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, ProofError> {
        Ok(u64::from_be_bytes(self.array::<8>(field)?))
    }

    /// A `u32` length prefix, refused if above `max`, then that many bytes.
    fn bytes(&mut self, field: &'static str, max: usize) -> Result<&'a [u8], ProofError> {
        let len = u32::from_be_bytes(self.array::<4>(field)?);
        match usize::try_from(len) {
            Ok(n) if n <= max => self.take(n, field),
            _ => Err(ProofError::FieldTooLong {
                field,
                len: u64::from(len),
                max,
            }),
        }
    }

    fn note(&mut self) -> Result<String, ProofError> {
        let field = "checkpoint";
        let bytes = self.bytes(field, MAX_CHECKPOINT_BYTES)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| ProofError::NotUtf8 { field })
    }

    fn included(&mut self, side: Side) -> Result<Included, ProofError> {
        let checkpoint = self.note()?;
        let index = self.u64("index")?;
        let leaf_hash = self.array::<32>("leaf hash")?;
        let count = usize::from(self.u8("audit path length")?);
        if count > MAX_AUDIT_PATH {
            return Err(ProofError::AuditPathTooLong {
                side,
                len: count,
                max: MAX_AUDIT_PATH,
            });
        }
        // `count` is at most 64, so the capacity is small whatever the input claims.
        let mut proof: Vec<Hash> = Vec::with_capacity(count);
        for _ in 0..count {
            proof.push(self.array::<32>("audit path")?);
        }
        Ok(Included {
            checkpoint,
            index,
            leaf_hash,
            proof,
        })
    }
}

pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<EquivocationProof, ProofError> {
    if bytes.len() > limits.max_bytes {
        return Err(ProofError::TooLarge {
            len: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let mut r = Reader { rest: bytes };
    if r.take(MAGIC.len(), "magic")? != MAGIC {
        return Err(ProofError::BadMagic);
    }
    let version = r.u8("version")?;
    if version != PROOF_VERSION {
        return Err(ProofError::UnsupportedVersion(u64::from(version)));
    }
    let publisher = PublicKey(r.array::<32>("publisher")?);
    let evidence = match r.u8("kind")? {
        KIND_CHECKPOINTS => Evidence::Checkpoints {
            a: r.note()?,
            b: r.note()?,
        },
        KIND_ENTRIES => {
            let max = limits.max_envelope_bytes;
            Evidence::Entries {
                a: r.bytes("envelope", max)?.to_vec(),
                b: r.bytes("envelope", max)?.to_vec(),
            }
        }
        KIND_INCLUSION => Evidence::Inclusion {
            a: r.included(Side::A)?,
            b: r.included(Side::B)?,
        },
        other => return Err(ProofError::UnknownKind(other.to_string())),
    };
    let detected_at = r.u64("detected_at")?;
    if !r.rest.is_empty() {
        return Err(ProofError::TrailingBytes(r.rest.len()));
    }
    evidence.check_order()?;
    Ok(EquivocationProof {
        publisher,
        evidence,
        detected_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: u8) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.push(PROOF_VERSION);
        out.extend_from_slice(&[7; 32]);
        out.push(kind);
        out
    }

    #[test]
    fn lengths_are_checked_before_reading() {
        let mut bytes = header(KIND_ENTRIES);
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            decode(&bytes, &Limits::default()),
            Err(ProofError::FieldTooLong {
                field: "envelope",
                len: u64::from(u32::MAX),
                max: Limits::default().max_envelope_bytes,
            })
        );
        let mut bytes = header(KIND_ENTRIES);
        bytes.extend_from_slice(&100u32.to_be_bytes());
        bytes.extend_from_slice(&[0; 99]);
        assert_eq!(
            decode(&bytes, &Limits::default()),
            Err(ProofError::Truncated { field: "envelope" })
        );
    }

    #[test]
    fn audit_paths_are_bounded() {
        let mut bytes = header(KIND_INCLUSION);
        bytes.extend_from_slice(&0u32.to_be_bytes());
        bytes.extend_from_slice(&5u64.to_be_bytes());
        bytes.extend_from_slice(&[1; 32]);
        bytes.push(65);
        assert_eq!(
            decode(&bytes, &Limits::default()),
            Err(ProofError::AuditPathTooLong {
                side: Side::A,
                len: 65,
                max: MAX_AUDIT_PATH
            })
        );
    }

    #[test]
    fn round_trip_and_order() {
        let proof = EquivocationProof {
            publisher: PublicKey([9; 32]),
            evidence: Evidence::Entries {
                a: vec![1, 2],
                b: vec![1, 3],
            },
            detected_at: 42,
        };
        let bytes = encode(&proof);
        assert_eq!(decode(&bytes, &Limits::default()), Ok(proof.clone()));
        assert_eq!(bytes.get(..bytes.len() - 8), Some(&canonical(&proof)[..]));

        let swapped = EquivocationProof {
            evidence: Evidence::Entries {
                a: vec![1, 3],
                b: vec![1, 2],
            },
            ..proof.clone()
        };
        assert_eq!(
            decode(&encode(&swapped), &Limits::default()),
            Err(ProofError::SidesOutOfOrder)
        );
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(
            decode(&trailing, &Limits::default()),
            Err(ProofError::TrailingBytes(1))
        );
        let small = Limits {
            max_bytes: bytes.len() - 1,
            ..Limits::default()
        };
        assert_eq!(
            decode(&bytes, &small),
            Err(ProofError::TooLarge {
                len: bytes.len(),
                max: bytes.len() - 1
            })
        );
    }
}
