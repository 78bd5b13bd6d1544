//! Crypto-PAn: prefix-preserving IP address pseudonymisation (Xu, Fan, Ammar and
//! Moon), AES-128 based with a 32-byte key: the first 16 bytes key the cipher, the
//! last 16 bytes, encrypted, form the padding. Two addresses sharing a k-bit prefix
//! map to addresses sharing a k-bit prefix, and nothing else about them is revealed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;

/// Why a Crypto-PAn key could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoPanError {
    /// The key is neither 32 raw bytes nor 64 hex characters.
    #[error("a Crypto-PAn key is 32 raw bytes or 64 hex characters, got {0} bytes")]
    BadLength(usize),
    /// The hex text does not decode.
    #[error("the Crypto-PAn key is not valid hex")]
    BadHex,
}

/// A keyed Crypto-PAn instance. Its key never appears in `Debug` output.
#[derive(Clone)]
pub struct CryptoPan {
    cipher: Aes128,
    pad: [u8; 16],
}

impl std::fmt::Debug for CryptoPan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CryptoPan(..)")
    }
}

impl CryptoPan {
    /// A Crypto-PAn instance for a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        let (k, p) = key.split_at(16);
        let cipher = Aes128::new(aes::cipher::generic_array::GenericArray::from_slice(k));
        let mut pad = aes::Block::clone_from_slice(p);
        cipher.encrypt_block(&mut pad);
        let mut out = [0u8; 16];
        out.copy_from_slice(&pad);
        Self { cipher, pad: out }
    }

    /// Parse a key file's contents: 32 raw bytes, or 64 hex characters (surrounding
    /// white space allowed).
    pub fn from_key_bytes(bytes: &[u8]) -> Result<Self, CryptoPanError> {
        if let Ok(raw) = <[u8; 32]>::try_from(bytes) {
            // 32 bytes that happen to be hex digits would be ambiguous only for a
            // 32-character hex string, which is not a valid hex key length anyway.
            return Ok(Self::new(&raw));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| CryptoPanError::BadLength(bytes.len()))?
            .trim();
        if text.len() != 64 {
            return Err(CryptoPanError::BadLength(bytes.len()));
        }
        let raw = hex::decode(text).map_err(|_| CryptoPanError::BadHex)?;
        let key: [u8; 32] = raw
            .try_into()
            .map_err(|_| CryptoPanError::BadLength(bytes.len()))?;
        Ok(Self::new(&key))
    }

    /// One-time pad for an address of `bits` bits (32 or 128), as a big-endian u128
    /// aligned to the top.
    fn otp(&self, orig: u128, bits: u32) -> u128 {
        let pad = u128::from_be_bytes(self.pad);
        let mut result = 0u128;
        // `mask` keeps the first `pos` bits; `bit` is the output bit for position `pos`.
        let mut mask = 0u128;
        let mut bit = 1u128 << 127;
        for _ in 0..bits.min(128) {
            // First `pos` bits from the original address, the rest from the pad.
            let input = (orig & mask) | (pad & !mask);
            let mut block = aes::Block::from(input.to_be_bytes());
            self.cipher.encrypt_block(&mut block);
            if block.first().is_some_and(|b| b & 0x80 != 0) {
                result |= bit;
            }
            mask = (mask >> 1) | (1u128 << 127);
            bit >>= 1;
        }
        result
    }

    /// Pseudonymise an IPv4 address.
    pub fn anonymize_v4(&self, addr: Ipv4Addr) -> Ipv4Addr {
        let orig = u128::from(u32::from(addr)) << 96;
        let out = orig ^ self.otp(orig, 32);
        Ipv4Addr::from((out >> 96) as u32)
    }

    /// Pseudonymise an IPv6 address.
    pub fn anonymize_v6(&self, addr: Ipv6Addr) -> Ipv6Addr {
        let orig = u128::from(addr);
        Ipv6Addr::from(orig ^ self.otp(orig, 128))
    }

    /// Pseudonymise either family.
    pub fn anonymize(&self, addr: IpAddr) -> IpAddr {
        match addr {
            IpAddr::V4(a) => IpAddr::V4(self.anonymize_v4(a)),
            IpAddr::V6(a) => IpAddr::V6(self.anonymize_v6(a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_preserved() {
        let c = CryptoPan::new(&[7; 32]);
        let a = c.anonymize_v4(Ipv4Addr::new(10, 1, 2, 3));
        let b = c.anonymize_v4(Ipv4Addr::new(10, 1, 200, 9));
        let shared = (u32::from(a) ^ u32::from(b)).leading_zeros();
        assert!(shared >= 16, "a 16-bit common prefix must survive: {a} {b}");
        let x = c.anonymize_v6("fd00::1".parse().unwrap());
        let y = c.anonymize_v6("fd00::2".parse().unwrap());
        assert!((u128::from(x) ^ u128::from(y)).leading_zeros() >= 126);
    }

    #[test]
    fn key_file_forms() {
        let raw = [0x15u8; 32];
        let hex_text = format!("{}\n", hex::encode(raw));
        let a = CryptoPan::from_key_bytes(&raw).unwrap();
        let b = CryptoPan::from_key_bytes(hex_text.as_bytes()).unwrap();
        let ip = Ipv4Addr::new(192, 0, 2, 1);
        assert_eq!(a.anonymize_v4(ip), b.anonymize_v4(ip));
        assert!(matches!(
            CryptoPan::from_key_bytes(b"short"),
            Err(CryptoPanError::BadLength(5))
        ));
        assert!(CryptoPan::from_key_bytes(&[b'z'; 64]).is_err());
    }
}
