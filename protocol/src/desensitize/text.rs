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
//!
//! Most strings hold nothing: one pass over their bytes ([`super::prefilter`]) rules
//! out the finders that cannot match, and when it rules out all of them none runs. When
//! no finder found anything, the final check (which looks for some of the same things,
//! the same way) is left with only the string's unescaped form to look at.

use std::borrow::Cow;
use std::net::IpAddr;
use std::ops::Range;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};

#[cfg(test)]
use super::address::find_ips;
pub(crate) use super::address::parse_ip_value;
use super::address::{find_ips_in, ipv4_re};
use super::policy::{Action, Class, Policy};
use super::prefilter::{LiteralFilter, Profile};
use super::pseudonym::{Pseudonyms, PSEUDO_DOMAIN};

/// What redacted free text reads.
pub const REDACTED: &str = "[REDACTED]";

pub(crate) fn cached(
    cell: &'static OnceLock<Option<Regex>>,
    pattern: &str,
) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

pub(crate) fn email_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &CELL,
        r"(?i)[a-z0-9._%+\-]+@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+",
    )
}

pub(crate) fn mac_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &CELL,
        r"(?i)\b(?:[0-9a-f]{2}(?:[:\-][0-9a-f]{2}){5}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})\b",
    )
}

/// Group 1 is the user name. Unix paths must start a word (start of text, after white
/// space, a quote, `=`, `(`, `[`, `,`, `;`, `>`, `:` or `file://`) so that a URL path
/// such as `http://host/home/index.html` is not mistaken for a home directory.
pub(crate) fn user_path_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &CELL,
        r#"(?:(?:^|[\s'"=(\[,;>:]|file://)(?:/home/|/Users/)|(?i:\b[a-z]:(?:\\+|/)users(?:\\+|/)))([^/\\\s'"<>|:*?%]+)"#,
    )
}

pub(crate) fn user_pseudonym_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    cached(&CELL, r"^user-[0-9a-f]{16}$")
}

/// Directory names under `/home`, `/Users` or `C:\Users` that are not a person.
const NOT_USERS: &[&str] = &["public", "default", "shared", "all users", "default user"];

/// The policy's configured names compiled into case-insensitive matchers.
#[derive(Debug)]
pub(crate) struct Matchers {
    domains: Option<Literals>,
    orgs: Option<Literals>,
    canaries: Option<Literals>,
}

/// One list of configured names: the case-insensitive matcher, and the prefilter that
/// says when it cannot match.
#[derive(Debug)]
pub(crate) struct Literals {
    pub re: Regex,
    pub filter: LiteralFilter,
}

impl Literals {
    /// Whether one of the names occurs in `s` (of profile `p`).
    fn is_match(&self, s: &str, p: &Profile) -> bool {
        self.filter.may_match(p) && self.re.is_match(s)
    }

    /// Every occurrence in `s` (of profile `p`).
    fn hits(&self, s: &str, p: &Profile, class: Class) -> Vec<Found> {
        if !self.filter.may_match(p) {
            return Vec::new();
        }
        self.re
            .find_iter(s)
            .filter(|m| !m.as_str().is_empty())
            .map(|m| Found::plain(m.range(), class))
            .collect()
    }
}

pub(crate) fn literal_set(
    items: &[String],
    domains: bool,
) -> Result<Option<Literals>, regex::Error> {
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
    let re = RegexBuilder::new(&format!("(?:{alternation})"))
        .case_insensitive(true)
        .size_limit(64 << 20)
        .build()?;
    let filter = LiteralFilter::new(items.iter().map(String::as_str));
    Ok(Some(Literals { re, filter }))
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

    /// Whether `s` (of profile `p`) mentions an organisation name.
    pub fn mentions_org(&self, s: &str, p: &Profile) -> bool {
        self.orgs.as_ref().is_some_and(|r| r.is_match(s, p))
    }
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

fn literal_hits(literals: Option<&Literals>, s: &str, p: &Profile, class: Class) -> Vec<Found> {
    literals.map(|l| l.hits(s, p, class)).unwrap_or_default()
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

    /// The hits of one pass over `s` (of profile `p`); `None` if the scanner is
    /// unavailable. A finder whose prefilter rules a match out is not run.
    fn find(&self, pass: Pass, s: &str, p: &Profile, orgs: bool) -> Option<Vec<Found>> {
        let m = self.matchers;
        Some(match pass {
            Pass::Canary => literal_hits(m.canaries.as_ref(), s, p, Class::Canary),
            Pass::Org if orgs => literal_hits(m.orgs.as_ref(), s, p, Class::Organisation),
            Pass::Org => Vec::new(),
            Pass::Email => {
                let re = email_re()?;
                if !p.may_have_email() {
                    return Some(Vec::new());
                }
                re.find_iter(s)
                    .filter(|m| {
                        !m.as_str()
                            .to_ascii_lowercase()
                            .ends_with(&format!("@{PSEUDO_DOMAIN}"))
                    })
                    .map(|m| Found::plain(m.range(), Class::Email))
                    .collect()
            }
            Pass::UserPath => {
                let pseudonym = user_pseudonym_re()?;
                let re = user_path_re()?;
                if !p.may_have_user_path() {
                    return Some(Vec::new());
                }
                re.captures_iter(s)
                    .filter_map(|c| c.get(1))
                    .filter(|u| {
                        let name = u.as_str().to_lowercase();
                        !NOT_USERS.contains(&name.as_str()) && !pseudonym.is_match(u.as_str())
                    })
                    .map(|u| Found::plain(u.range(), Class::UserName))
                    .collect()
            }
            Pass::Host => self.find_hosts(s, p),
            Pass::Ip => find_ips_in(s, p)?
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
            Pass::Mac => {
                let re = mac_re()?;
                if !p.may_have_mac(s) {
                    return Some(Vec::new());
                }
                re.find_iter(s)
                    .filter(|m| {
                        let before = s.get(..m.start()).and_then(|b| b.chars().next_back());
                        let after = s.get(m.end()..).and_then(|a| a.chars().next());
                        before != Some(':') && after != Some(':')
                    })
                    .map(|m| Found::plain(m.range(), Class::Mac))
                    .collect()
            }
        })
    }

    /// Whether any pass might find something in `s` (of profile `p`): false only when
    /// every fixed finder is available (none fails closed) and every prefilter rules its
    /// finder out — then each pass would find nothing.
    fn may_find(&self, s: &str, p: &Profile, orgs: bool) -> bool {
        let m = self.matchers;
        let names = |l: &Option<Literals>| l.as_ref().is_some_and(|l| l.filter.may_match(p));
        let available = email_re().is_some()
            && user_pseudonym_re().is_some()
            && user_path_re().is_some()
            && ipv4_re().is_some()
            && mac_re().is_some();
        !available
            || names(&m.canaries)
            || names(&m.domains)
            || (orgs && names(&m.orgs))
            || p.may_have_email()
            || p.may_have_user_path()
            || p.may_have_ipv6()
            || p.may_have_ipv4(s)
            || p.may_have_mac(s)
    }

    /// Host tokens (`[A-Za-z0-9._-]+`) around each mention of an internal domain.
    fn find_hosts(&self, s: &str, p: &Profile) -> Vec<Found> {
        let Some(domains) = self.matchers.domains.as_ref() else {
            return Vec::new();
        };
        if !domains.filter.may_match(p) {
            return Vec::new();
        }
        let re = &domains.re;
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
        let mut profile = Profile::of(s);
        // A pass changes the text only when it finds something; if none can, none runs.
        let passes = if self.may_find(s, &profile, orgs) {
            PASSES.as_slice()
        } else {
            &[]
        };
        for &pass in passes {
            let found = match self.find(pass, &current, &profile, orgs) {
                Some(found) => found,
                // Fail closed: the scanner is unavailable, the whole value is sensitive.
                None => vec![Found::plain(0..current.len(), Class::Canary)],
            };
            if found.is_empty() {
                continue;
            }
            match self.replace_all(&current, &found, mode, &mut out) {
                Some(next) => {
                    profile = Profile::of(&next);
                    current = Cow::Owned(next);
                }
                None => return out,
            }
        }
        // Whatever the final check would still find (say, an escaped domain such as
        // `corp\.example\.com`) takes the whole value with it. When no finder found
        // anything, the text is still `s` and the check's own finders (the same ones,
        // applied the same way) find nothing in it either: only its unescaped form is
        // left to check.
        let found_nothing = matches!(current, Cow::Borrowed(c) if std::ptr::eq(c, s));
        let leaked = if found_nothing {
            leak_class_unescaped(s, &profile, self.policy, self.matchers, orgs)
        } else {
            leak_class_in(&current, &profile, self.policy, self.matchers, orgs)
        };
        if let Some(class) = leaked {
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
        let untouched = matches!(current, Cow::Borrowed(c) if std::ptr::eq(c, s));
        if !untouched && current != s {
            out.text = Some(current.into_owned());
        }
        out
    }

    /// The first class of sensitive value in `s` (or in `s` with backslashes removed,
    /// which un-escapes regular expressions and pattern strings), if any.
    pub fn detect(&self, s: &str) -> Option<Class> {
        let profile = Profile::of(s);
        let stripped = profile.has(b'\\').then(|| s.replace('\\', ""));
        let texts =
            std::iter::once((s, profile)).chain(stripped.as_deref().map(|t| (t, Profile::of(t))));
        for (text, profile) in texts {
            if !self.may_find(text, &profile, true) {
                continue;
            }
            for pass in PASSES {
                match self.find(pass, text, &profile, true) {
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
    leak_class_in(s, &Profile::of(s), policy, matchers, orgs)
}

/// [`leak_class`] for a string whose [`Profile`] is known.
fn leak_class_in(
    s: &str,
    profile: &Profile,
    policy: &Policy,
    matchers: &Matchers,
    orgs: bool,
) -> Option<Class> {
    leak_class_text(s, profile, policy, matchers, orgs)
        .or_else(|| leak_class_unescaped(s, profile, policy, matchers, orgs))
}

/// The second half of [`leak_class`]: `s` with backslashes removed (nothing to check
/// when it has none).
fn leak_class_unescaped(
    s: &str,
    profile: &Profile,
    policy: &Policy,
    matchers: &Matchers,
    orgs: bool,
) -> Option<Class> {
    if !profile.has(b'\\') {
        return None;
    }
    let stripped = s.replace('\\', "");
    leak_class_text(&stripped, &Profile::of(&stripped), policy, matchers, orgs)
}

/// The checks of [`leak_class`] on one text.
fn leak_class_text(
    text: &str,
    p: &Profile,
    policy: &Policy,
    matchers: &Matchers,
    orgs: bool,
) -> Option<Class> {
    if matchers
        .canaries
        .as_ref()
        .is_some_and(|r| r.is_match(text, p))
    {
        return Some(Class::Canary);
    }
    if matchers
        .domains
        .as_ref()
        .is_some_and(|r| r.is_match(text, p))
    {
        return Some(Class::InternalHost);
    }
    match find_ips_in(text, p) {
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
    if orgs && matchers.mentions_org(text, p) {
        return Some(Class::Organisation);
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

    /// What lets `scan` skip the final check on a string its finders found nothing in:
    /// the check finds nothing there either; and what lets it skip the finders.
    mod final_check {
        use super::*;
        use proptest::prelude::*;

        const SNIPPETS: &[&str] = &[
            "10.1.2.3",
            "010.1.2.3/8",
            "203.0.113.5",
            "192.0.2.9",
            "fd00::1",
            "::ffff:10.9.9.9",
            "2001:db8::1",
            "corp.example.com",
            "CORP.Example.COM",
            "corp\\.example\\.com",
            "alice@corp.example.com",
            "/home/bob/",
            "C:\\Users\\carol\\",
            "00:11:22:33:44:55",
            "Example Industrial Co",
            "example induſtrial co",
            "PROJECT-NIGHTJAR",
            "project-nightjar",
            "\\",
            "é",
            " ",
        ];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            #[test]
            fn finds_nothing_the_finders_missed(
                parts in prop::collection::vec(
                    prop_oneof![
                        prop::sample::select(SNIPPETS).prop_map(str::to_owned),
                        "[ -~]{0,8}",
                    ],
                    1..5,
                ),
                orgs in any::<bool>(),
            ) {
                let text = parts.concat();
                with_scrubber(Actions::default(), |s| {
                    let p = Profile::of(&text);
                    let found = PASSES
                        .iter()
                        .any(|pass| s.find(*pass, &text, &p, orgs).is_none_or(|f| !f.is_empty()));
                    if !found {
                        let check = leak_class_text(&text, &p, s.policy, s.matchers, orgs);
                        prop_assert_eq!(check, None);
                    }
                    // And what lets `scan` and `detect` skip the passes: when it says none
                    // can find anything, none does.
                    if !s.may_find(&text, &p, orgs) {
                        prop_assert!(!found, "{:?}", text);
                    }
                    Ok(())
                })?;
            }
        }
    }
}
