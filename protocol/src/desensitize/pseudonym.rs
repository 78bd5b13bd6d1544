//! Pseudonym formats that stay valid where the original value was: a host becomes
//! `h-<token>.pseudo.invalid`, an e-mail `u-<token>@pseudo.invalid`, a user
//! `user-<token>`, an organisation `org-<token>`, a MAC a locally administered unicast
//! address built from HMAC bits, an IP address its Crypto-PAn image (or, for the `hmac`
//! action, an address in 198.18.0.0/15 or 2001:db8::/32 built from the token).
//!
//! Tokens are `PseudonymKey::token(class, value)`: the same value gives the same
//! pseudonym within an epoch, across inputs. A pseudonym is never itself internal: an
//! address whose image falls in an internal range is not used (see [`Pseudonyms::ip`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::policy::{Action, Policy};
use super::Keys;

/// The reserved domain pseudonymous hosts and e-mail addresses live under (RFC 6761:
/// `.invalid` never resolves).
pub const PSEUDO_DOMAIN: &str = "pseudo.invalid";

/// Makes pseudonyms under one key set.
pub(crate) struct Pseudonyms<'a> {
    keys: &'a Keys<'a>,
    policy: &'a Policy,
}

impl<'a> Pseudonyms<'a> {
    pub fn new(keys: &'a Keys<'a>, policy: &'a Policy) -> Self {
        Self { keys, policy }
    }

    fn token(&self, class: &str, value: &str) -> String {
        self.keys.pseudonyms.token(class, value.as_bytes())
    }

    fn token_bytes(&self, class: &str, value: &str) -> [u8; 8] {
        let mut out = [0u8; 8];
        if let Ok(bytes) = hex::decode(self.token(class, value)) {
            for (o, b) in out.iter_mut().zip(bytes) {
                *o = b;
            }
        }
        out
    }

    /// `h-<token>.pseudo.invalid` for a host name (case-insensitive, trailing dot ignored).
    pub fn host(&self, host: &str) -> String {
        let host = host.trim_end_matches('.').to_lowercase();
        format!("h-{}.{PSEUDO_DOMAIN}", self.token("host", &host))
    }

    /// `u-<token>@pseudo.invalid` for an e-mail address (case-insensitive).
    pub fn email(&self, email: &str) -> String {
        format!(
            "u-{}@{PSEUDO_DOMAIN}",
            self.token("email", &email.to_lowercase())
        )
    }

    /// `user-<token>` for a user name (case-sensitive, as on most systems).
    pub fn user(&self, user: &str) -> String {
        format!("user-{}", self.token("user", user))
    }

    /// `org-<token>` for an organisation name (case-insensitive).
    pub fn organisation(&self, name: &str) -> String {
        format!("org-{}", self.token("org", &name.to_lowercase()))
    }

    /// A MAC address from HMAC bits, locally administered (bit 1 of the first octet set)
    /// and unicast (bit 0 clear). The input is normalised to its hex digits first, so
    /// `AA-BB-…` and `aa:bb:…` give the same pseudonym.
    pub fn mac(&self, mac: &str) -> String {
        let digits: String = mac
            .chars()
            .filter(char::is_ascii_hexdigit)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let normalised = if digits.len() == 12 {
            digits
        } else {
            mac.to_lowercase()
        };
        let mut b = self.token_bytes("mac", &normalised);
        b[0] = (b[0] | 0x02) & 0xfe;
        format!(
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }

    /// The pseudonym of an internal address (optionally a network `addr/prefix`), as text.
    /// `Cryptopan`: the Crypto-PAn image (a network keeps its prefix length, its host
    /// bits cleared); should the image be internal itself, the HMAC form is used instead.
    /// Any other action: the HMAC form. `None` when no non-internal pseudonym exists
    /// (the caller then redacts).
    pub fn ip(&self, addr: IpAddr, prefix: Option<u8>, action: Action) -> Option<String> {
        let image = match action {
            Action::Cryptopan => {
                let pan = self.keys.cryptopan.anonymize(addr);
                if self.policy.is_internal_ip(pan) {
                    self.hmac_ip(addr)
                } else {
                    pan
                }
            }
            _ => self.hmac_ip(addr),
        };
        if self.policy.is_internal_ip(image) {
            return None;
        }
        Some(match prefix {
            None => image.to_string(),
            Some(p) => {
                let net = ipnet::IpNet::new(image, p).ok()?.trunc();
                if self.policy.is_internal_ip(net.network()) {
                    return None;
                }
                net.to_string()
            }
        })
    }

    /// 198.18.0.0/15 (RFC 2544 benchmarking) or 2001:db8::/32 (documentation) with the
    /// remaining bits from the token.
    fn hmac_ip(&self, addr: IpAddr) -> IpAddr {
        let b = self.token_bytes("ip", &addr.to_string());
        match addr {
            IpAddr::V4(_) => {
                let bits = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) & 0x0001_ffff;
                IpAddr::V4(Ipv4Addr::from(0xc612_0000 | bits))
            }
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::new(
                0x2001,
                0x0db8,
                0,
                0,
                u16::from_be_bytes([b[0], b[1]]),
                u16::from_be_bytes([b[2], b[3]]),
                u16::from_be_bytes([b[4], b[5]]),
                u16::from_be_bytes([b[6], b[7]]),
            )),
        }
    }

    /// A keyed identifier UUID for an object whose id must change but cannot be derived
    /// from its values (no ID-contributing property left, or an unknown type): random-
    /// looking (version 4 layout), stable under one key.
    pub fn keyed_uuid(&self, seed: &str) -> uuid::Uuid {
        let a = self.token_bytes("object-id/0", seed);
        let b = self.token_bytes("object-id/1", seed);
        let mut bytes = [0u8; 16];
        for (o, v) in bytes.iter_mut().zip(a.iter().chain(b.iter())) {
            *o = *v;
        }
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desensitize::policy::Actions;
    use shoal_crypto::{CryptoPan, PseudonymKey};

    fn policy() -> Policy {
        Policy::new(
            vec![],
            vec![],
            vec![],
            vec![],
            Actions::default(),
            false,
            String::new(),
        )
    }

    #[test]
    fn formats() {
        let pan = CryptoPan::new(&[7; 32]);
        let key = PseudonymKey::derive(&[9; 32], 1);
        let keys = Keys {
            cryptopan: &pan,
            pseudonyms: &key,
        };
        let p = policy();
        let ps = Pseudonyms::new(&keys, &p);
        let h = ps.host("Files.Corp.Example.com.");
        assert_eq!(h, ps.host("files.corp.example.com"));
        assert!(h.starts_with("h-") && h.ends_with(".pseudo.invalid") && h.len() == 33);
        assert!(ps.email("A@B.c").starts_with("u-"));
        assert_eq!(ps.email("A@B.c"), ps.email("a@b.c"));
        assert_eq!(ps.user("jdoe").len(), 21);
        let mac = ps.mac("AA-BB-CC-DD-EE-FF");
        assert_eq!(mac, ps.mac("aa:bb:cc:dd:ee:ff"));
        let first = u8::from_str_radix(&mac[..2], 16).unwrap();
        assert_eq!(first & 0x03, 0x02, "locally administered unicast");
        let v4 = ps
            .ip("10.1.2.3".parse().unwrap(), None, Action::Hmac)
            .unwrap();
        let v4: Ipv4Addr = v4.parse().unwrap();
        assert_eq!(v4.octets()[0], 198);
        assert!(v4.octets()[1] == 18 || v4.octets()[1] == 19);
        let v6 = ps
            .ip("fd00::1".parse().unwrap(), None, Action::Hmac)
            .unwrap();
        assert!(v6.starts_with("2001:db8:"), "{v6}");
        let net = ps
            .ip("10.20.0.0".parse().unwrap(), Some(16), Action::Cryptopan)
            .unwrap();
        assert!(net.ends_with(".0.0/16"), "{net}");
        assert_eq!(ps.keyed_uuid("x").get_version_num(), 4);
    }
}
