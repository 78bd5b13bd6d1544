//! Addresses in text: every IPv4/IPv6 address or network written in a string
//! ([`find_ips`]) — zero-padded octets, networks (`10.0.0.0/8`), IPv6 inside brackets,
//! after a zone or embedded in a word — and whole values ([`parse_ip_value`]). Whether
//! one is internal is the policy's business.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::prefilter::Profile;
use super::text::cached;

pub(super) fn ipv4_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    cached(&CELL, r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?:/[0-9]{1,3})?")
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

pub(super) fn find_ipv6(s: &str, out: &mut Vec<IpFound>) {
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
#[cfg(test)]
pub(crate) fn find_ips(s: &str) -> Option<Vec<IpFound>> {
    find_ips_in(s, &Profile::of(s))
}

/// [`find_ips`] for a string whose [`Profile`] is known: a finder that cannot match is
/// not run.
pub(crate) fn find_ips_in(s: &str, profile: &Profile) -> Option<Vec<IpFound>> {
    let ipv4 = ipv4_re()?;
    let mut found = Vec::new();
    if profile.may_have_ipv6() {
        find_ipv6(s, &mut found);
    }
    if profile.may_have_ipv4(s) {
        find_ipv4(s, ipv4, &mut found);
    }
    if found.len() < 2 {
        return Some(found);
    }
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
