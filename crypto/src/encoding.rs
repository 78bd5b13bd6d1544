//! Small text encodings shared by the C2SP formats: canonical decimals and
//! base64 SHA-256 hashes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::hash::Hash;

/// Parse an ASCII decimal with no sign and no leading zeroes (except `0` itself).
/// `None` if malformed or larger than `u64::MAX`.
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// Decode standard, padded base64 of exactly 32 bytes.
pub(crate) fn decode_hash(s: &str) -> Option<Hash> {
    let raw = STANDARD.decode(s).ok()?;
    raw.as_slice().try_into().ok()
}

/// Standard, padded base64 of a hash.
pub(crate) fn encode_hash(h: &Hash) -> String {
    STANDARD.encode(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("109482"), Some(109482));
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "00",
            "01",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1e3",
            "18446744073709551616",
            "١",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hashes() {
        let h = [7u8; 32];
        assert_eq!(decode_hash(&encode_hash(&h)), Some(h));
        assert_eq!(decode_hash("AAAA"), None);
        assert_eq!(decode_hash(&encode_hash(&h).replace('=', "")), None);
    }
}
