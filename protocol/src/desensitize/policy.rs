//! The desensitization policy: what counts as internal (address ranges, domains, the
//! member's organisation names, canary strings) and what to do with each class of
//! sensitive value ([`Action`] per [`Class`]).
//!
//! The policy is configuration, not a secret: its `Debug` output shows it. Key material
//! lives in [`super::Keys`], never here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// What to do with a sensitive value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Drop the whole object that holds the value (for an indicator pattern: the
    /// indicator; for an SCO embedded in observed data: that SCO).
    Drop,
    /// Remove the value: `"[REDACTED]"` in free text; the property (or, where STIX
    /// requires a valid value, such as an SCO's `value`, the object) is dropped elsewhere;
    /// the comparison is removed from a pattern.
    Redact,
    /// Replace the value with a keyed pseudonym (HMAC under the epoch's
    /// [`shoal_crypto::PseudonymKey`]) that is valid where the value was.
    Hmac,
    /// For IP addresses: prefix-preserving Crypto-PAn pseudonymisation. For any other
    /// class it behaves as [`Action::Hmac`].
    Cryptopan,
}

/// A class of sensitive value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// An address in an internal network (built-in private ranges or configured ones).
    InternalIp,
    /// A host name, URL or domain under an internal domain.
    InternalHost,
    /// An e-mail address (any: a personal address identifies someone).
    Email,
    /// A user name: in a home-directory path, or a user account's login/name.
    UserName,
    /// A MAC address.
    Mac,
    /// One of the member's organisation names.
    Organisation,
    /// The member's own STIX identity (`identity` objects, `created_by_ref`).
    MemberIdentity,
    /// A configured canary string.
    Canary,
}

impl Class {
    /// The name used in reports and reasons (`internal_ip`, `email`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Class::InternalIp => "internal_ip",
            Class::InternalHost => "internal_host",
            Class::Email => "email",
            Class::UserName => "user_name",
            Class::Mac => "mac",
            Class::Organisation => "organisation",
            Class::MemberIdentity => "member_identity",
            Class::Canary => "canary",
        }
    }
}

impl Action {
    /// The name used in reports and reasons (`drop`, `redact`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Drop => "drop",
            Action::Redact => "redact",
            Action::Hmac => "hmac",
            Action::Cryptopan => "cryptopan",
        }
    }
}

/// The configured action for each configurable class. Canaries are always redacted and
/// the member's identity is always replaced by the node's pseudonymous identity.
#[derive(Debug, Clone)]
pub struct Actions {
    /// Internal IP addresses.
    pub ip: Action,
    /// Internal host names, URLs and domains.
    pub host: Action,
    /// E-mail addresses.
    pub email: Action,
    /// User names.
    pub user: Action,
    /// MAC addresses.
    pub mac: Action,
    /// Organisation names.
    pub organisation: Action,
}

impl Default for Actions {
    /// Crypto-PAn for addresses, keyed pseudonyms for hosts, e-mails, users and MACs,
    /// redaction for organisation names.
    fn default() -> Self {
        Self {
            ip: Action::Cryptopan,
            host: Action::Hmac,
            email: Action::Hmac,
            user: Action::Hmac,
            mac: Action::Hmac,
            organisation: Action::Redact,
        }
    }
}

/// What is internal and what to do about it.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Internal networks: the built-in ranges ([`BUILTIN_INTERNAL_NETWORKS`]) followed by
    /// the member's configured ones. `Policy::new` adds the built-ins; they are also
    /// always consulted by [`Policy::is_internal_ip`].
    pub internal_networks: Vec<IpNet>,
    /// Internal DNS domains (lowercase, no leading or trailing dot); any host name under
    /// one is internal, and so is any e-mail address at one.
    pub internal_domains: Vec<String>,
    /// The member's organisation names (matched case-insensitively).
    pub organisation_names: Vec<String>,
    /// Canary strings that must never leave (matched case-insensitively).
    pub canaries: Vec<String>,
    /// The action for each class.
    pub actions: Actions,
    /// Whether the member's own STIX identity may be shared as is.
    pub share_member_identity: bool,
    /// `identity--<uuid>` of the node's pseudonymous identity (the node computes it).
    pub node_identity: String,
}

/// The ranges that are always internal: RFC 1918, RFC 6598 shared address space,
/// loopback, link-local (IPv4 and IPv6) and RFC 4193 unique local addresses.
pub const BUILTIN_INTERNAL_NETWORKS: &[(IpAddr, u8)] = &[
    (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)), 8),
    (IpAddr::V4(Ipv4Addr::new(172, 16, 0, 0)), 12),
    (IpAddr::V4(Ipv4Addr::new(192, 168, 0, 0)), 16),
    (IpAddr::V4(Ipv4Addr::new(100, 64, 0, 0)), 10),
    (IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8),
    (IpAddr::V4(Ipv4Addr::new(169, 254, 0, 0)), 16),
    (IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
    (IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0)), 10),
    (IpAddr::V6(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0)), 7),
];

/// [`BUILTIN_INTERNAL_NETWORKS`] as [`IpNet`]s.
pub fn builtin_internal_networks() -> Vec<IpNet> {
    BUILTIN_INTERNAL_NETWORKS
        .iter()
        .filter_map(|(addr, prefix)| match addr {
            IpAddr::V4(a) => Ipv4Net::new(*a, *prefix).ok().map(IpNet::V4),
            IpAddr::V6(a) => Ipv6Net::new(*a, *prefix).ok().map(IpNet::V6),
        })
        .collect()
}

impl Policy {
    /// A policy whose internal networks are the built-ins plus `extra_networks`. Domains
    /// are lowercased and stripped of surrounding dots; empty names, domains and canaries
    /// are ignored (an empty string would match everything).
    pub fn new(
        extra_networks: Vec<IpNet>,
        internal_domains: Vec<String>,
        organisation_names: Vec<String>,
        canaries: Vec<String>,
        actions: Actions,
        share_member_identity: bool,
        node_identity: String,
    ) -> Self {
        let mut internal_networks = builtin_internal_networks();
        for net in extra_networks {
            let net = net.trunc();
            if !internal_networks.contains(&net) {
                internal_networks.push(net);
            }
        }
        let internal_domains = internal_domains
            .iter()
            .map(|d| d.trim().trim_matches('.').to_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        let clean = |names: Vec<String>| -> Vec<String> {
            names
                .into_iter()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect()
        };
        Self {
            internal_networks,
            internal_domains,
            organisation_names: clean(organisation_names),
            canaries: clean(canaries),
            actions,
            share_member_identity,
            node_identity,
        }
    }

    /// Whether `ip` is in an internal network (the built-ins always count, whatever
    /// `internal_networks` holds). IPv4-mapped and IPv4-compatible IPv6 addresses are
    /// judged by their IPv4 address as well.
    pub fn is_internal_ip(&self, ip: IpAddr) -> bool {
        let inside = |ip: IpAddr| {
            self.internal_networks.iter().any(|n| n.contains(&ip))
                || BUILTIN_INTERNAL_NETWORKS
                    .iter()
                    .any(|(addr, prefix)| IpNet::new(*addr, *prefix).is_ok_and(|n| n.contains(&ip)))
        };
        if inside(ip) {
            return true;
        }
        match ip {
            IpAddr::V6(v6) => {
                let embedded = v6.to_ipv4_mapped().or_else(|| {
                    // IPv4-compatible (::a.b.c.d, deprecated) but not :: or ::1.
                    let seg = v6.segments();
                    let compatible =
                        seg.iter().take(6).all(|s| *s == 0) && seg.get(6).is_some_and(|s| *s != 0);
                    compatible.then(|| v6.to_ipv4()).flatten()
                });
                embedded.is_some_and(|v4| inside(IpAddr::V4(v4)))
            }
            IpAddr::V4(_) => false,
        }
    }

    /// Whether a network written as `addr/prefix` is internal: judged by its first
    /// address (so a subnet of an internal range is internal).
    pub fn is_internal_net(&self, addr: IpAddr, prefix: u8) -> bool {
        IpNet::new(addr, prefix).is_ok_and(|n| self.is_internal_ip(n.network()))
            || self.is_internal_ip(addr)
    }

    /// Whether `host` (a DNS name, any case, optional trailing dot) is an internal
    /// domain or under one.
    pub fn is_internal_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_lowercase();
        self.internal_domains.iter().any(|d| {
            host == *d
                || host
                    .strip_suffix(d.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    }

    /// The configured action for a class (canaries: redact; member identity: drop).
    pub fn action_for(&self, class: Class) -> Action {
        match class {
            Class::InternalIp => self.actions.ip,
            Class::InternalHost => self.actions.host,
            Class::Email => self.actions.email,
            Class::UserName => self.actions.user,
            Class::Mac => self.actions.mac,
            Class::Organisation => self.actions.organisation,
            Class::MemberIdentity => Action::Drop,
            Class::Canary => Action::Redact,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::new(
            vec!["192.0.2.0/24".parse().unwrap()],
            vec![".Corp.Example.com.".into(), " ".into()],
            vec!["Example Industrial Co".into(), "".into()],
            vec!["PROJECT-NIGHTJAR".into()],
            Actions::default(),
            false,
            "identity--00000000-0000-4000-8000-000000000000".into(),
        )
    }

    #[test]
    fn internal_ranges() {
        let p = policy();
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "169.254.10.10",
            "192.0.2.77",
            "::1",
            "fe80::1",
            "fd00::1",
            "fc00::5",
            "::ffff:10.0.0.1",
            "::10.0.0.1",
        ] {
            assert!(p.is_internal_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "203.0.113.5",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "198.18.0.1",
            "2001:db8::1",
            "::",
            "::ffff:8.8.8.8",
        ] {
            assert!(!p.is_internal_ip(ip.parse().unwrap()), "{ip}");
        }
        assert!(p.is_internal_net("10.20.0.0".parse().unwrap(), 16));
        assert!(!p.is_internal_net("203.0.113.0".parse().unwrap(), 24));
    }

    #[test]
    fn builtins_count_even_without_new() {
        let mut p = policy();
        p.internal_networks.clear();
        assert!(p.is_internal_ip("10.0.0.1".parse().unwrap()));
        assert!(!p.is_internal_ip("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn domains_and_names_are_normalised() {
        let p = policy();
        assert_eq!(p.internal_domains, vec!["corp.example.com".to_owned()]);
        assert_eq!(p.organisation_names.len(), 1);
        assert!(p.is_internal_host("corp.example.com"));
        assert!(p.is_internal_host("Files.CORP.example.com."));
        assert!(!p.is_internal_host("notcorp.example.com"));
        assert!(!p.is_internal_host("evil.example.net"));
        assert_eq!(p.action_for(Class::Canary), Action::Redact);
        assert_eq!(p.action_for(Class::InternalIp), Action::Cryptopan);
    }
}
