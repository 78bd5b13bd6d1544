//! Decoding many envelopes with one batch signature check: the catch-up path of sync,
//! where thousands of envelopes of many publishers arrive at once. Results are exactly
//! those of [`Envelope::decode_verified`] per item; a failed batch falls back to
//! checking each envelope alone, so one bad signature costs the batch its speed-up but
//! never lets a bad envelope through or rejects a good one.

use shoal_crypto::keys::verify_batch;

use super::{codec, verify_signed, Envelope, EnvelopeError, SIGNING_DOMAIN};

/// Decode and verify every item of `items` (each at most `max_len` bytes).
pub fn decode_verified_batch(
    items: &[&[u8]],
    max_len: usize,
) -> Vec<Result<Envelope, EnvelopeError>> {
    let mut decoded: Vec<Result<(Envelope, usize), EnvelopeError>> = items
        .iter()
        .map(|bytes| codec::decode(bytes, max_len))
        .collect();
    let mut batch = Vec::with_capacity(items.len());
    for (bytes, d) in items.iter().zip(&decoded) {
        if let Ok((env, signed_len)) = d {
            if let Some(signed) = bytes.get(..*signed_len) {
                batch.push((&env.body.publisher, signed, &env.signature));
            }
        }
    }
    let all_good = verify_batch(SIGNING_DOMAIN, &batch).is_ok();
    drop(batch);
    decoded
        .drain(..)
        .zip(items)
        .map(|(d, bytes)| {
            let (env, signed_len) = d?;
            if !all_good {
                let signed = bytes
                    .get(..signed_len)
                    .ok_or(EnvelopeError::Truncated { field: "signature" })?;
                verify_signed(&env.body.publisher, signed, &env.signature)?;
            }
            Ok(env)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::EnvelopeBody;
    use crate::Tlp;
    use shoal_crypto::NodeKey;

    fn envelope(key: &NodeKey, i: u64) -> Vec<u8> {
        let object = format!(
            r#"{{"id":"indicator--00000000-0000-4000-8000-{i:012x}","name":"n","pattern":"[ipv4-addr:value = '203.0.113.1']","pattern_type":"stix","spec_version":"2.1","type":"indicator","valid_from":"2026-01-01T00:00:00Z","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z"}}"#
        );
        let v: serde_json::Value = serde_json::from_str(&object).unwrap();
        let canonical = crate::jcs::canonicalize(&v).unwrap();
        EnvelopeBody {
            publisher: key.public(),
            ledger_index: i,
            published_at: 0,
            tlp: Tlp::Amber,
            community: "c".into(),
            object: canonical,
            extensions: Vec::new(),
        }
        .sign_encoded(key)
        .unwrap()
    }

    #[test]
    fn batch_results_equal_single_results() {
        let keys = [NodeKey::from_seed([1; 32]), NodeKey::from_seed([2; 32])];
        let mut all: Vec<Vec<u8>> = (0..20)
            .map(|i| envelope(&keys[(i % 2) as usize], i))
            .collect();
        let good: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
        assert!(decode_verified_batch(&good, 1 << 20)
            .iter()
            .all(Result::is_ok));
        // Corrupt one signature and truncate another: exactly those two fail.
        let last = all[3].len() - 1;
        all[3][last] ^= 1;
        all[7].truncate(10);
        let mixed: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
        let out = decode_verified_batch(&mixed, 1 << 20);
        for (i, (r, bytes)) in out.iter().zip(&mixed).enumerate() {
            let single = Envelope::decode_verified(bytes, 1 << 20);
            assert_eq!(r.is_ok(), single.is_ok(), "item {i}");
            assert_eq!(r.is_ok(), i != 3 && i != 7, "item {i}");
        }
    }
}
