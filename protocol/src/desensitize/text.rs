//! Free-text scanning: finds sensitive values inside any string and rewrites them.
//!
//! Finders, applied in this order so that one pass never feeds the next: canary strings,
//! e-mail addresses, user names in home-directory paths (`/home/<u>/`, `/Users/<u>/`,
//! `C:\Users\<u>\`), host names under an internal domain (the whole host token around
//! the domain), internal IPv4/IPv6 addresses and networks, MAC addresses, organisation
//! names. Each hit is replaced according to the policy's action for its class
//! ([`Scrubber::scan`]); what is left is then checked once more the way
//! [`super::leak_check`] will, and anything it would still find fails closed (the whole
//! string is redacted), so desensitized text always passes the final check.
//!
//! Configured names, domains and canaries match case-insensitively (Unicode simple case
//! folding). The fixed regular expressions are compiled once; should one ever be
//! unavailable, every string counts as sensitive (fail closed).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};

use super::policy::{Action, Class, Policy};
use super::pseudonym::{Pseudonyms, PSEUDO_DOMAIN};

/// What redacted free text reads.
pub const REDACTED: &str = "[REDACTED]";

fn cached(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

fn ipv4_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    cached(&CELL, r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?:/[0-9]{1,3})?")
}

fn email_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &CELL,
        r"(?i)[a-z0-9._%+\-]+@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+",
    )
}

fn mac_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &CELL,
        r"(?i)\b(?:[0-9a-f]{2}(?:[:\-][0-9a-f]{2}){5}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})\b",
    )
}

/// Group 1 is the user name. Unix paths must start a word (start of text, after white
/// space, a quote, `=`, `(`, `[`, `,`, `;`, `>`, `:` or `file://`) so that a URL path
/// such as `http://host/home/index.html` is not mistaken for a home directory.
fn user_path_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &CELL,
        r#"(?:(?:^|[\s'"=(\[,;>:]|file://)(?:/home/|/Users/)|(?i:\b[a-z]:(?:\\+|/)users(?:\\+|/)))([^/\\\s'"<>|:*?%]+)"#,
    )
}

fn user_pseudonym_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    cached(&CELL, r"^user-[0-9a-f]{16}$")
}

/// Directory names under `/home`, `/Users` or `C:\Users` that are not a person.
const NOT_USERS: &[&str] = &["public", "default", "shared", "all users", "default user"];

/// The policy's configured names compiled into case-insensitive matchers.
#[derive(Debug)]
pub(crate) struct Matchers {
    domains: Option<Regex>,
    orgs: Option<Regex>,
    canaries: Option<Regex>,
}

fn literal_set(items: &[String], domains: bool) -> Result<Option<Regex>, regex::Error> {
    let mut items: Vec<String> = items
        .iter()
        .map(|s| {
            let s = s.trim();
            if domains {
                s.trim_matches('.').to_owned()
            } else {
                s.to_owned()
            }
        })
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Ok(None);
    }
    items.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let alternation = items
        .iter()
        .map(|s| regex::escape(s))
        .collect::<Vec<_>>()
        .join("|");
    RegexBuilder::new(&format!("(?:{alternation})"))
        .case_insensitive(true)
        .size_limit(64 << 20)
        .build()
        .map(Some)
}

/// The lists a [`Matchers`] was compiled from.
type MatcherKey = (Vec<String>, Vec<String>, Vec<String>);

impl Matchers {
    /// The compiled matchers of `policy`, from a one-entry cache keyed by the exact
    /// lists (compiling case-insensitive alternations costs far more than a publish;
    /// the key comparison keeps the cache right even if a policy's fields change).
    pub fn for_policy(policy: &Policy) -> Result<std::sync::Arc<Self>, regex::Error> {
        use std::sync::{Arc, Mutex};
        static CACHE: Mutex<Option<(MatcherKey, Arc<Matchers>)>> = Mutex::new(None);
        let same = |k: &MatcherKey| {
            k.0 == policy.internal_domains
                && k.1 == policy.organisation_names
                && k.2 == policy.canaries
        };
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((key, m)) = cache.as_ref() {
            if same(key) {
                return Ok(Arc::clone(m));
            }
        }
        let m = Arc::new(Self::new(policy)?);
        let key = (
            policy.internal_domains.clone(),
            policy.organisation_names.clone(),
            policy.canaries.clone(),
        );
        *cache = Some((key, Arc::clone(&m)));
        Ok(m)
    }

    /// Compile the policy's domains, organisation names and canaries.
    pub fn new(policy: &Policy) -> Result<Self, regex::Error> {
        Ok(Self {
            domains: literal_set(&policy.internal_domains, true)?,
            orgs: literal_set(&policy.organisation_names, false)?,
            canaries: literal_set(&policy.canaries, false)?,
        })
    }

    /// Whether `s` mentions an organisation name.
    pub fn mentions_org(&self, s: &str) -> bool {
        self.orgs.as_ref().is_some_and(|r| r.is_match(s))
    }
}

/// An IP address or network found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IpFound {
    pub range: Range<usize>,
    pub addr: IpAddr,
    pub prefix: Option<u8>,
}

/// Parse `a.b.c.d`, accepting zero-padded octets (`010`), which some tools print.
fn parse_v4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in octets.iter_mut() {
        *octet = parts.next()?.parse::<u8>().ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// An address or network written as a whole value (`10.0.0.1`, `10.0.0.0/8`,
/// `fd00::1/64`), surrounding white space allowed.
pub(crate) fn parse_ip_value(text: &str) -> Option<(IpAddr, Option<u8>)> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (text, None),
    };
    let addr = match parse_v4(addr) {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(addr.parse::<Ipv6Addr>().ok()?),
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix.is_some_and(|p| p > max) {
        return None;
    }
    Some((addr, prefix))
}

fn find_ipv4(s: &str, re: &Regex, out: &mut Vec<IpFound>) {
    let mut pos = 0;
    while pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else { break };
        let text = m.as_str();
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        match parse_v4(addr_text) {
            // An octet above 255: look again from the next digit ("5310.1.2.3").
            None => pos = m.start().saturating_add(1),
            Some(addr) => {
                let prefix = prefix_text
                    .and_then(|p| p.parse::<u8>().ok())
                    .filter(|p| *p <= 32);
                let end = if prefix.is_some() {
                    m.end()
                } else {
                    m.start().saturating_add(addr_text.len())
                };
                out.push(IpFound {
                    range: m.start()..end,
                    addr: IpAddr::V4(addr),
                    prefix,
                });
                pos = end.max(m.start().saturating_add(1));
            }
        }
    }
}

fn is_v6_byte(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b':' || b == b'.'
}

fn find_ipv6(s: &str, out: &mut Vec<IpFound>) {
    let bytes = s.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        if !bytes.get(i).copied().is_some_and(is_v6_byte) {
            i = i.saturating_add(1);
            continue;
        }
        let start = i;
        while bytes.get(i).copied().is_some_and(is_v6_byte) {
            i = i.saturating_add(1);
        }
        let end = i;
        let Some(run) = s.get(start..end) else {
            continue;
        };
        if run.bytes().filter(|b| *b == b':').count() < 2 {
            continue;
        }
        // A run that starts inside a word ("Deadline:fd00::5") loses its first group.
        let mut cstart = start;
        let inside_word = s
            .get(..start)
            .and_then(|before| before.chars().next_back())
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if inside_word && !run.starts_with(':') {
            if let Some(colon) = run.find(':') {
                cstart = start.saturating_add(colon).saturating_add(1);
            }
        }
        // Trailing sentence punctuation: "fd00::1." or "fd00::1:" (but keep "fd00::").
        let mut cend = end;
        while let Some(cand) = s.get(cstart..cend) {
            if cand.ends_with('.') || (cand.ends_with(':') && !cand.ends_with("::")) {
                cend = cend.saturating_sub(1);
            } else {
                break;
            }
        }
        let Some(cand) = s.get(cstart..cend).filter(|c| !c.is_empty()) else {
            continue;
        };
        let Ok(addr) = cand.parse::<Ipv6Addr>() else {
            continue;
        };
        let mut range_end = cend;
        let mut prefix = None;
        if cend == end {
            if let Some(after) = s.get(end..).and_then(|a| a.strip_prefix('/')) {
                let digits = after.bytes().take_while(u8::is_ascii_digit).count().min(3);
                if let Some(p) = after
                    .get(..digits)
                    .and_then(|d| d.parse::<u8>().ok())
                    .filter(|p| *p <= 128 && digits > 0)
                {
                    prefix = Some(p);
                    range_end = end.saturating_add(1).saturating_add(digits);
                }
            }
        }
        out.push(IpFound {
            range: cstart..range_end,
            addr: IpAddr::V6(addr),
            prefix,
        });
    }
}

/// Every IPv4/IPv6 address or network written in `s` (internal or not), without
/// overlaps, in order. `None` if the scanner is unavailable.
pub(crate) fn find_ips(s: &str) -> Option<Vec<IpFound>> {
    let mut found = Vec::new();
    find_ipv6(s, &mut found);
    find_ipv4(s, ipv4_re()?, &mut found);
    found.sort_by_key(|f| (f.range.start, std::cmp::Reverse(f.range.end)));
    let mut out: Vec<IpFound> = Vec::with_capacity(found.len());
    for f in found {
        if out
            .last()
            .is_some_and(|last| f.range.start < last.range.end)
        {
            continue;
        }
        out.push(f);
    }
    Some(out)
}

/// A sensitive value found in text.
#[derive(Debug, Clone)]
struct Found {
    range: Range<usize>,
    class: Class,
    ip: Option<(IpAddr, Option<u8>)>,
}

impl Found {
    fn plain(range: Range<usize>, class: Class) -> Self {
        Self {
            range,
            class,
            ip: None,
        }
    }
}

/// The finder passes, in application order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Canary,
    Email,
    UserPath,
    Host,
    Ip,
    Mac,
    Org,
}

const PASSES: [Pass; 7] = [
    Pass::Canary,
    Pass::Email,
    Pass::UserPath,
    Pass::Host,
    Pass::Ip,
    Pass::Mac,
    Pass::Org,
];

fn literal_hits(re: Option<&Regex>, s: &str, class: Class) -> Vec<Found> {
    re.map(|re| {
        re.find_iter(s)
            .filter(|m| !m.as_str().is_empty())
            .map(|m| Found::plain(m.range(), class))
            .collect()
    })
    .unwrap_or_default()
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}

/// How free text or a typed value is rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Free text: redaction writes `[REDACTED]` in place.
    Free,
    /// A value that must stay valid (a URL, a host name): redaction removes the value.
    Typed,
}

/// A hit that ends rewriting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fatal {
    /// The class's action is `drop`: the object goes.
    DropObject(Class),
    /// A typed value would have to be redacted: the property goes.
    RemoveField(Class),
}

/// The result of scanning one string.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scan {
    /// The rewritten text, if it changed.
    pub text: Option<String>,
    /// What was found and done, in order (may repeat).
    pub hits: Vec<(Class, Action)>,
    /// Set when rewriting stopped: `text` is then meaningless.
    pub fatal: Option<Fatal>,
}

/// Finds and rewrites sensitive values under one policy and key set.
pub(crate) struct Scrubber<'a> {
    pub policy: &'a Policy,
    pub matchers: &'a Matchers,
    pub pseudo: Pseudonyms<'a>,
}

impl<'a> Scrubber<'a> {
    pub fn new(policy: &'a Policy, matchers: &'a Matchers, pseudo: Pseudonyms<'a>) -> Self {
        Self {
            policy,
            matchers,
            pseudo,
        }
    }

    /// The hits of one pass over `s`; `None` if the scanner is unavailable.
    fn find(&self, pass: Pass, s: &str, orgs: bool) -> Option<Vec<Found>> {
        Some(match pass {
            Pass::Canary => literal_hits(self.matchers.canaries.as_ref(), s, Class::Canary),
            Pass::Org if orgs => literal_hits(self.matchers.orgs.as_ref(), s, Class::Organisation),
            Pass::Org => Vec::new(),
            Pass::Email => email_re()?
                .find_iter(s)
                .filter(|m| {
                    !m.as_str()
                        .to_ascii_lowercase()
                        .ends_with(&format!("@{PSEUDO_DOMAIN}"))
                })
                .map(|m| Found::plain(m.range(), Class::Email))
                .collect(),
            Pass::UserPath => {
                let pseudonym = user_pseudonym_re()?;
                user_path_re()?
                    .captures_iter(s)
                    .filter_map(|c| c.get(1))
                    .filter(|u| {
                        let name = u.as_str().to_lowercase();
                        !NOT_USERS.contains(&name.as_str()) && !pseudonym.is_match(u.as_str())
                    })
                    .map(|u| Found::plain(u.range(), Class::UserName))
                    .collect()
            }
            Pass::Host => self.find_hosts(s),
            Pass::Ip => find_ips(s)?
                .into_iter()
                .filter(|f| match f.prefix {
                    Some(p) => self.policy.is_internal_net(f.addr, p),
                    None => self.policy.is_internal_ip(f.addr),
                })
                .map(|f| Found {
                    range: f.range,
                    class: Class::InternalIp,
                    ip: Some((f.addr, f.prefix)),
                })
                .collect(),
            Pass::Mac => mac_re()?
                .find_iter(s)
                .filter(|m| {
                    let before = s.get(..m.start()).and_then(|b| b.chars().next_back());
                    let after = s.get(m.end()..).and_then(|a| a.chars().next());
                    before != Some(':') && after != Some(':')
                })
                .map(|m| Found::plain(m.range(), Class::Mac))
                .collect(),
        })
    }

    /// Host tokens (`[A-Za-z0-9._-]+`) around each mention of an internal domain.
    fn find_hosts(&self, s: &str) -> Vec<Found> {
        let Some(re) = self.matchers.domains.as_ref() else {
            return Vec::new();
        };
        let bytes = s.as_bytes();
        let mut out: Vec<Found> = Vec::new();
        for m in re.find_iter(s) {
            let mut start = m.start();
            while start > 0
                && bytes
                    .get(start.saturating_sub(1))
                    .copied()
                    .is_some_and(is_host_byte)
            {
                start = start.saturating_sub(1);
            }
            let mut end = m.end();
            while bytes.get(end).copied().is_some_and(is_host_byte) {
                end = end.saturating_add(1);
            }
            // Trim punctuation that ends a sentence or starts a list.
            while start < m.start() && matches!(bytes.get(start), Some(b'.' | b'-' | b'_')) {
                start = start.saturating_add(1);
            }
            while end > m.end()
                && matches!(bytes.get(end.saturating_sub(1)), Some(b'.' | b'-' | b'_'))
            {
                end = end.saturating_sub(1);
            }
            match out.last_mut() {
                Some(last) if start < last.range.end => {
                    last.range.end = last.range.end.max(end);
                }
                _ => out.push(Found::plain(start..end, Class::InternalHost)),
            }
        }
        out
    }

    /// The pseudonym for one hit, if the class has one that fits.
    fn pseudonym(&self, found: &Found, matched: &str, action: Action) -> Option<String> {
        match found.class {
            Class::Email => Some(self.pseudo.email(matched)),
            Class::UserName => Some(self.pseudo.user(matched)),
            Class::InternalHost => Some(self.pseudo.host(matched)),
            Class::Mac => Some(self.pseudo.mac(matched)),
            Class::Organisation => Some(self.pseudo.organisation(matched)),
            Class::InternalIp => {
                let (addr, prefix) = found.ip?;
                self.pseudo.ip(addr, prefix, action)
            }
            Class::Canary | Class::MemberIdentity => None,
        }
    }

    /// The action reported for a pseudonymised hit (`cryptopan` only means something
    /// for addresses).
    fn effective(class: Class, action: Action) -> Action {
        if action == Action::Cryptopan && class != Class::InternalIp {
            Action::Hmac
        } else {
            action
        }
    }

    fn replace_all(&self, s: &str, found: &[Found], mode: Mode, out: &mut Scan) -> Option<String> {
        let mut result = String::with_capacity(s.len());
        let mut last = 0usize;
        for f in found {
            if f.range.start < last {
                continue;
            }
            let (Some(before), Some(matched)) =
                (s.get(last..f.range.start), s.get(f.range.clone()))
            else {
                out.fatal = Some(Fatal::DropObject(f.class));
                return None;
            };
            let action = self.policy.action_for(f.class);
            if action == Action::Drop {
                out.hits.push((f.class, Action::Drop));
                out.fatal = Some(Fatal::DropObject(f.class));
                return None;
            }
            let pseudonym = match action {
                Action::Hmac | Action::Cryptopan => self.pseudonym(f, matched, action),
                Action::Redact | Action::Drop => None,
            };
            let replacement = match (pseudonym, mode) {
                (Some(p), _) => {
                    out.hits.push((f.class, Self::effective(f.class, action)));
                    p
                }
                (None, Mode::Free) => {
                    out.hits.push((f.class, Action::Redact));
                    REDACTED.to_owned()
                }
                (None, Mode::Typed) => {
                    out.hits.push((f.class, Action::Redact));
                    out.fatal = Some(Fatal::RemoveField(f.class));
                    return None;
                }
            };
            result.push_str(before);
            result.push_str(&replacement);
            last = f.range.end;
        }
        result.push_str(s.get(last..).unwrap_or_default());
        Some(result)
    }

    /// Rewrite every sensitive value in `s`. Organisation names are left alone when
    /// `orgs` is false (the member's identity when the policy shares it).
    pub fn scan(&self, s: &str, mode: Mode, orgs: bool) -> Scan {
        let mut out = Scan::default();
        let mut current: Cow<'_, str> = Cow::Borrowed(s);
        for pass in PASSES {
            let found = match self.find(pass, &current, orgs) {
                Some(found) => found,
                // Fail closed: the scanner is unavailable, the whole value is sensitive.
                None => vec![Found::plain(0..current.len(), Class::Canary)],
            };
            if found.is_empty() {
                continue;
            }
            match self.replace_all(&current, &found, mode, &mut out) {
                Some(next) => current = Cow::Owned(next),
                None => return out,
            }
        }
        // Whatever the final check would still find (say, an escaped domain such as
        // `corp\.example\.com`) takes the whole value with it.
        if let Some(class) = leak_class(&current, self.policy, self.matchers, orgs) {
            let action = match self.policy.action_for(class) {
                Action::Drop => Action::Drop,
                _ => Action::Redact,
            };
            out.hits.push((class, action));
            match (action, mode) {
                (Action::Drop, _) => out.fatal = Some(Fatal::DropObject(class)),
                (_, Mode::Typed) => out.fatal = Some(Fatal::RemoveField(class)),
                (_, Mode::Free) => current = Cow::Borrowed(REDACTED),
            }
            if out.fatal.is_some() {
                return out;
            }
        }
        if current != s {
            out.text = Some(current.into_owned());
        }
        out
    }

    /// The first class of sensitive value in `s` (or in `s` with backslashes removed,
    /// which un-escapes regular expressions and pattern strings), if any.
    pub fn detect(&self, s: &str) -> Option<Class> {
        let stripped = s.contains('\\').then(|| s.replace('\\', ""));
        for text in std::iter::once(s).chain(stripped.as_deref()) {
            for pass in PASSES {
                match self.find(pass, text, true) {
                    None => return Some(Class::Canary),
                    Some(found) => {
                        if let Some(f) = found.first() {
                            return Some(f.class);
                        }
                    }
                }
            }
        }
        None
    }
}

/// What [`super::leak_check`] looks for in one string: canaries, internal domains,
/// internal addresses, and (when `orgs`) organisation names — in `s` and in `s` with
/// backslashes removed. Fails closed when the address scanner is unavailable.
pub(crate) fn leak_class(
    s: &str,
    policy: &Policy,
    matchers: &Matchers,
    orgs: bool,
) -> Option<Class> {
    let stripped = s.contains('\\').then(|| s.replace('\\', ""));
    for text in std::iter::once(s).chain(stripped.as_deref()) {
        if matchers.canaries.as_ref().is_some_and(|r| r.is_match(text)) {
            return Some(Class::Canary);
        }
        if matchers.domains.as_ref().is_some_and(|r| r.is_match(text)) {
            return Some(Class::InternalHost);
        }
        match find_ips(text) {
            None => return Some(Class::InternalIp),
            Some(ips) => {
                if ips.iter().any(|f| match f.prefix {
                    Some(p) => policy.is_internal_net(f.addr, p),
                    None => policy.is_internal_ip(f.addr),
                }) {
                    return Some(Class::InternalIp);
                }
            }
        }
        if orgs && matchers.mentions_org(text) {
            return Some(Class::Organisation);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desensitize::policy::Actions;
    use crate::desensitize::Keys;
    use shoal_crypto::{CryptoPan, PseudonymKey};

    fn policy(actions: Actions) -> Policy {
        Policy::new(
            vec!["192.0.2.0/24".parse().unwrap()],
            vec!["corp.example.com".into()],
            vec!["Example Industrial Co".into()],
            vec!["PROJECT-NIGHTJAR".into()],
            actions,
            false,
            String::new(),
        )
    }

    fn with_scrubber<R>(actions: Actions, f: impl FnOnce(&Scrubber) -> R) -> R {
        let pan = CryptoPan::new(&[3; 32]);
        let key = PseudonymKey::derive(&[4; 32], 7);
        let keys = Keys {
            cryptopan: &pan,
            pseudonyms: &key,
        };
        let p = policy(actions);
        let m = Matchers::new(&p).unwrap();
        let s = Scrubber::new(&p, &m, Pseudonyms::new(&keys, &p));
        f(&s)
    }

    fn ips(s: &str) -> Vec<String> {
        find_ips(s)
            .unwrap()
            .into_iter()
            .map(|f| s[f.range].to_owned())
            .collect()
    }

    #[test]
    fn finds_addresses() {
        assert_eq!(
            ips("from 10.1.2.3 to 203.0.113.5."),
            ["10.1.2.3", "203.0.113.5"]
        );
        assert_eq!(
            ips("net 10.0.0.0/8, host 010.000.000.001"),
            ["10.0.0.0/8", "010.000.000.001"]
        );
        assert_eq!(ips("5310.1.2.3"), ["10.1.2.3"]);
        assert_eq!(ips("v10.0.0.1"), ["10.0.0.1"]);
        assert_eq!(ips("1.2.3.4.5"), ["1.2.3.4"]);
        assert_eq!(
            ips("at 12:30:45 on aa:bb:cc:dd:ee:ff"),
            Vec::<String>::new()
        );
        assert_eq!(
            ips("link fe80::1%eth0 and [fd00::5]:443"),
            ["fe80::1", "fd00::5"]
        );
        assert_eq!(ips("Deadline:fd00::5."), ["fd00::5"]);
        assert_eq!(ips("::ffff:10.0.0.1"), ["::ffff:10.0.0.1"]);
        assert_eq!(ips("fd12:3456::/48 ok"), ["fd12:3456::/48"]);
        assert_eq!(ips("2001:db8::1 is external"), ["2001:db8::1"]);
        assert_eq!(
            parse_ip_value(" 10.0.0.0/8 "),
            Some(("10.0.0.0".parse().unwrap(), Some(8)))
        );
        assert_eq!(parse_ip_value("10.0.0.0/33"), None);
    }

    #[test]
    fn rewrites_free_text() {
        with_scrubber(Actions::default(), |s| {
            let text = "Beacon from 10.20.30.40 (ws-17.corp.example.com, MAC 00:1A:2B:3C:4D:5E) \
                        by alice@corp.example.com in /home/jdoe/.cache and C:\\Users\\bob\\AppData; \
                        Example Industrial Co, PROJECT-NIGHTJAR. External: 203.0.113.5 evil.example.net";
            let scan = s.scan(text, Mode::Free, true);
            assert!(scan.fatal.is_none());
            let out = scan.text.unwrap();
            for secret in [
                "10.20.30.40",
                "ws-17",
                "corp.example.com",
                "00:1A:2B:3C:4D:5E",
                "alice",
                "jdoe",
                "bob",
                "Example Industrial",
                "NIGHTJAR",
            ] {
                assert!(!out.contains(secret), "{secret} in {out}");
            }
            assert!(out.contains("203.0.113.5") && out.contains("evil.example.net"));
            assert!(out.contains(".pseudo.invalid") && out.contains("user-"));
            assert!(out.contains(REDACTED));
            let classes: Vec<Class> = scan.hits.iter().map(|h| h.0).collect();
            for c in [
                Class::InternalIp,
                Class::InternalHost,
                Class::Mac,
                Class::Email,
                Class::UserName,
                Class::Organisation,
                Class::Canary,
            ] {
                assert!(classes.contains(&c), "{c:?}");
            }
            // Stable: the same value gives the same pseudonym.
            assert_eq!(s.scan(text, Mode::Free, true).text.unwrap(), out);
            // Nothing the final check would find is left.
            assert_eq!(leak_class(&out, s.policy, s.matchers, true), None);
        });
    }

    #[test]
    fn external_text_is_untouched() {
        with_scrubber(Actions::default(), |s| {
            for text in [
                "[ipv4-addr:value = '203.0.113.5']",
                "http://evil.example.net/home/index.html",
                "https://github.com/users/someone",
                "notcorp.example.org and 2001:db8::1",
                "SHA1 Fingerprint=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01",
                "C:\\Users\\Public\\x.exe",
            ] {
                let scan = s.scan(text, Mode::Free, true);
                assert_eq!(scan.text, None, "{text}");
                assert!(scan.hits.is_empty(), "{text}");
            }
        });
    }

    #[test]
    fn escaped_domains_fail_closed() {
        with_scrubber(Actions::default(), |s| {
            let scan = s.scan("matches .+@corp\\.example\\.com$", Mode::Free, true);
            assert_eq!(scan.text.as_deref(), Some(REDACTED));
            assert_eq!(s.detect("corp\\.example\\.com"), Some(Class::InternalHost));
        });
    }

    #[test]
    fn typed_and_drop_modes() {
        let actions = Actions {
            host: Action::Redact,
            ip: Action::Drop,
            ..Actions::default()
        };
        with_scrubber(actions, |s| {
            let scan = s.scan("http://wiki.corp.example.com/x", Mode::Typed, true);
            assert_eq!(scan.fatal, Some(Fatal::RemoveField(Class::InternalHost)));
            let scan = s.scan("seen at 10.0.0.1", Mode::Free, true);
            assert_eq!(scan.fatal, Some(Fatal::DropObject(Class::InternalIp)));
            let scan = s.scan("Example Industrial Co", Mode::Free, false);
            assert!(scan.hits.is_empty());
        });
    }
}
