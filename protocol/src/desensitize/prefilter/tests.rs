//! The prefilters never rule out a string their finder would match: for generated text
//! (addresses, e-mails, MACs, home paths and configured names, in mixed case, with
//! look-alike Unicode letters, escaped backslashes and noise around them), whenever the
//! full finder matches, the prefilter lets the string through.

use proptest::prelude::*;
use regex::Regex;

use super::{bit, LiteralFilter, Profile};
use crate::desensitize::address::{find_ipv6, ipv4_re};
use crate::desensitize::text::{email_re, literal_set, mac_re, user_path_re};

/// Each character in either case, `s`/`k` sometimes as `ſ`/`K` (which fold to them).
fn mixed_case(s: String) -> impl Strategy<Value = String> {
    let n = s.chars().count();
    prop::collection::vec(0u8..4, n).prop_map(move |choices| {
        s.chars()
            .zip(choices)
            .map(|(c, k)| match (c.to_ascii_lowercase(), k) {
                ('s', 3) => '\u{17F}',
                ('k', 3) => '\u{212A}',
                (_, 0) | (_, 3) => c.to_ascii_uppercase(),
                (_, 1) => c.to_ascii_lowercase(),
                _ => c,
            })
            .collect()
    })
}

fn octet() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u16..=255).prop_map(|n| n.to_string()),
        (0u16..=255).prop_map(|n| format!("{n:03}")),
        (256u16..=999).prop_map(|n| n.to_string()),
    ]
}

fn ipv4() -> impl Strategy<Value = String> {
    (
        octet(),
        octet(),
        octet(),
        octet(),
        prop::option::of(0u8..=40),
    )
        .prop_map(|(a, b, c, d, p)| match p {
            Some(p) => format!("{a}.{b}.{c}.{d}/{p}"),
            None => format!("{a}.{b}.{c}.{d}"),
        })
}

fn ipv6() -> impl Strategy<Value = String> {
    let group = prop_oneof![
        (0u16..=0xffff).prop_map(|g| format!("{g:x}")),
        (0u16..=0xffff).prop_map(|g| format!("{g:X}")),
    ];
    (
        prop::collection::vec(group, 1..=8),
        0usize..9,
        prop::option::of(ipv4()),
        prop::sample::select(vec!["", "/64", "%eth0", "]:443", "."]),
    )
        .prop_map(|(groups, gap, v4, tail)| {
            let mut parts: Vec<String> = groups;
            if let Some(v4) = v4 {
                parts.truncate(6);
                parts.push(v4);
            }
            let at = gap.min(parts.len());
            let text = if gap < 8 && parts.len() < 8 {
                format!("{}::{}", parts[..at].join(":"), parts[at..].join(":"))
            } else {
                parts.join(":")
            };
            format!("{text}{tail}")
        })
}

fn mac() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(0u8..=255, 6),
        prop::sample::select(vec![":", "-", "."]),
        any::<bool>(),
    )
        .prop_map(|(b, sep, upper)| {
            let text = if sep == "." {
                format!(
                    "{:02x}{:02x}.{:02x}{:02x}.{:02x}{:02x}",
                    b[0], b[1], b[2], b[3], b[4], b[5]
                )
            } else {
                b.iter()
                    .map(|x| format!("{x:02x}"))
                    .collect::<Vec<_>>()
                    .join(sep)
            };
            if upper {
                text.to_uppercase()
            } else {
                text
            }
        })
}

fn email() -> impl Strategy<Value = String> {
    (
        "[a-zA-Z0-9._%+-]{1,8}",
        "[a-zA-Z0-9]{1,6}",
        prop::sample::select(vec!["com", "example.org", "PSEUDO.invalid", "co-op.pl"]),
    )
        .prop_map(|(user, host, tld)| format!("{user}@{host}.{tld}"))
}

fn user_path() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "/home/",
            "/Users/",
            "file:///home/",
            "C:\\Users\\",
            "c:/users/",
            "D:\\\\USERS\\\\",
            "e:\\uſers\\",
            "=/home/",
            "(/Users/",
        ]),
        "[a-zA-Z0-9._-]{1,10}",
        prop::sample::select(vec!["", "/", "\\", "\\\\x", " ", "/.ssh"]),
    )
        .prop_map(|(prefix, user, tail)| format!("{prefix}{user}{tail}"))
}

const NAMES: &[&str] = &[
    "corp.example.com",
    "internal",
    "Example Industrial Co",
    "EIC",
    "PROJECT-NIGHTJAR",
    "Straße AG",
    "Kſ",
    "x_k",
];

/// A configured name, or any short string of ASCII, look-alikes and other Unicode.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(NAMES).prop_map(str::to_owned),
        "[a-zA-Z0-9 ._-]{1,12}",
        "[a-zA-Zſ\u{212A}ßé0-9 .-]{1,8}",
    ]
}

/// Text that holds `needle` somewhere, maybe with backslashes and noise around it.
fn around(needle: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (
        "[ -~]{0,12}",
        needle,
        "[ -~]{0,12}",
        prop::option::of(any::<prop::sample::Index>()),
        any::<bool>(),
    )
        .prop_map(|(before, needle, after, backslash, unicode)| {
            let mut text = format!("{before}{needle}{after}");
            if let Some(at) = backslash {
                let at = at.index(text.len().saturating_add(1));
                if text.is_char_boundary(at) {
                    text.insert(at, '\\');
                }
            }
            if unicode {
                text.push('é');
            }
            text
        })
}

/// Any of the sensitive shapes (or noise), possibly several.
fn text() -> impl Strategy<Value = String> {
    let one = prop_oneof![
        around(ipv4()),
        around(ipv6()),
        around(mac()),
        around(email()),
        around(user_path()),
        around(name().prop_flat_map(mixed_case)),
        any::<String>(),
    ];
    prop::collection::vec(one, 1..3).prop_map(|parts| parts.concat())
}

fn finder(re: Option<&'static Regex>) -> &'static Regex {
    re.expect("the fixed expressions compile")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn ipv4_prefilter_is_conservative(s in prop_oneof![around(ipv4()), text()]) {
        if finder(ipv4_re()).is_match(&s) {
            prop_assert!(Profile::of(&s).may_have_ipv4(&s), "{s:?}");
        }
    }

    #[test]
    fn ipv6_prefilter_is_conservative(s in prop_oneof![around(ipv6()), text()]) {
        let mut found = Vec::new();
        find_ipv6(&s, &mut found);
        if !found.is_empty() {
            prop_assert!(Profile::of(&s).may_have_ipv6(), "{s:?}");
        }
    }

    #[test]
    fn mac_prefilter_is_conservative(s in prop_oneof![around(mac()), text()]) {
        if finder(mac_re()).is_match(&s) {
            prop_assert!(Profile::of(&s).may_have_mac(&s), "{s:?}");
        }
    }

    #[test]
    fn email_prefilter_is_conservative(s in prop_oneof![around(email()), text()]) {
        if finder(email_re()).is_match(&s) {
            prop_assert!(Profile::of(&s).may_have_email(), "{s:?}");
        }
    }

    #[test]
    fn user_path_prefilter_is_conservative(s in prop_oneof![around(user_path()), text()]) {
        if finder(user_path_re()).is_match(&s) {
            prop_assert!(Profile::of(&s).may_have_user_path(), "{s:?}");
        }
    }

    #[test]
    fn name_prefilter_is_conservative(
        names in prop::collection::vec(name(), 1..4),
        domains in any::<bool>(),
        s in prop_oneof![around(name().prop_flat_map(mixed_case)), text()],
    ) {
        let Ok(Some(set)) = literal_set(&names, domains) else {
            return Ok(());
        };
        if set.re.is_match(&s) {
            prop_assert!(set.filter.may_match(&Profile::of(&s)), "{names:?} {s:?}");
        }
    }

    #[test]
    fn configured_names_in_any_case_get_through(
        name in name(),
        s in name().prop_flat_map(mixed_case),
    ) {
        let names = vec![name.clone()];
        let Ok(Some(set)) = literal_set(&names, false) else {
            return Ok(());
        };
        let text = format!("x {s} {name} y");
        prop_assert!(set.re.is_match(&text));
        prop_assert!(set.filter.may_match(&Profile::of(&text)));
    }
}

#[test]
fn profile_counts() {
    let p = Profile::of("fe80::1 at 10.0.0.1 - é");
    assert!(p.may_have_ipv6() && p.may_have_ipv4("fe80::1 at 10.0.0.1 - é"));
    assert!(!p.ascii && p.has(b'f') && p.has(b'F') && !p.has(b'@'));
    let uuid = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    assert!(!Profile::of(uuid).may_have_mac(uuid));
    assert!(!Profile::of("2024-03-11T09:12:44.000Z").may_have_ipv6());
    let mac = "seen aa-bb-cc-dd-ee-ff";
    assert!(Profile::of(mac).may_have_mac(mac));
    // A name's non-ASCII letters are not required (`ſ` matches `s`).
    let filter = LiteralFilter::new(["Kſ"]);
    assert!(filter.may_match(&Profile::of("KS")));
    assert!(!filter.may_match(&Profile::of("no")));
}

#[test]
fn slots() {
    // Letters fold; digits and the punctuation the prefilters ask about have bits of
    // their own; every non-ASCII byte shares one.
    for b in 0..=255u8 {
        let shared: Vec<u8> = (0..=255u8).filter(|c| bit(*c) == bit(b)).collect();
        if b.is_ascii_alphabetic() {
            assert_eq!(shared, {
                let mut both = vec![b.to_ascii_uppercase(), b.to_ascii_lowercase()];
                both.sort();
                both
            });
        } else if b.is_ascii_digit() || b"@/\\:.-_ '%=".contains(&b) {
            assert_eq!(shared, [b]);
        } else if !b.is_ascii() {
            assert_eq!(shared, (128..=255).collect::<Vec<u8>>());
        }
    }
}
