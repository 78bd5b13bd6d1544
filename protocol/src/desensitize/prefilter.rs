//! Cheap, conservative prefilters for the text finders: one pass over a string's bytes
//! ([`Profile`]) says which finders cannot possibly match, so that their regular
//! expressions need not run. A prefilter may let through a string its finder then finds
//! nothing in, but never the reverse: each test below only asks for bytes the finder's
//! expression cannot match without.
//!
//! * IPv4 (`[0-9]{1,3}(\.[0-9]{1,3}){3}`): three `.` each between two ASCII digits.
//! * IPv6 (a part of the text that parses as an address): `::`, or six `:` (without
//!   `::` an address has eight groups, or six and an IPv4 address).
//! * MAC (`xx:xx:xx:xx:xx:xx`, `xx-…`, `xxxx.xxxx.xxxx`): five of `:`/`-`, or two `.`;
//!   and in ASCII text (where only `0-9`, `a-f`, `A-F` fold into `[0-9a-f]`), two
//!   separators around two hex digits, or two `.` around four.
//! * E-mail (`…@…`): an `@`.
//! * User paths (`/home/`, `/Users/`, `C:\Users\`, `c:/users/`): a `/` or a `\`.
//! * Configured names, domains and canaries (matched case-insensitively with Unicode
//!   simple case folding): in a string that is all ASCII, a match consists of ASCII
//!   characters, and the only ASCII characters that fold together are the two cases of
//!   one letter — so every ASCII character of a name must be present (in either case)
//!   for the name to match. Non-ASCII characters of a name are not required (one may
//!   fold to an ASCII letter, as `ſ` to `s`), and a string with any non-ASCII byte
//!   always goes to the full matcher.
//!
//! Which bytes occur is kept as 64 bits ([`SLOT`]): one per letter (both cases), digit
//! and punctuation mark the tests above ask about, the rest of ASCII sharing a few, and
//! one for any non-ASCII byte. A shared bit can only let more through.

/// What one pass over a string's bytes tells about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Profile {
    /// Bit [`SLOT`]`[b]` is set for each byte `b` that occurs.
    set: u64,
    /// Whether every byte is ASCII.
    ascii: bool,
    /// Whether `::` occurs.
    double_colon: bool,
    colons: usize,
    dots: usize,
    dashes: usize,
}

/// The bit of each byte value in [`Profile::set`]: `a`–`z` (either case) 0–25, `0`–`9`
/// 26–35, one each for `@ / \ : . - _` space `' % =`, other ASCII bytes sharing 47–62,
/// any non-ASCII byte 63.
static SLOT: [u8; 256] = {
    let mut slots = [NON_ASCII; 256];
    let mut rest: &mut [u8] = &mut slots;
    let mut b = 0u8;
    while let [first, tail @ ..] = rest {
        *first = slot(b);
        rest = tail;
        b = b.wrapping_add(1);
    }
    slots
};

/// The slot of byte `b` (see [`SLOT`]).
const fn slot(b: u8) -> u8 {
    match b {
        b'a'..=b'z' => b.wrapping_sub(b'a'),
        b'A'..=b'Z' => b.wrapping_sub(b'A'),
        b'0'..=b'9' => b.wrapping_sub(b'0').wrapping_add(26),
        b'@' => 36,
        b'/' => 37,
        b'\\' => 38,
        b':' => 39,
        b'.' => 40,
        b'-' => 41,
        b'_' => 42,
        b' ' => 43,
        b'\'' => 44,
        b'%' => 45,
        b'=' => 46,
        0x80..=0xff => NON_ASCII,
        _ => (b & 15).wrapping_add(47),
    }
}

/// The slot of non-ASCII bytes.
const NON_ASCII: u8 = 63;

/// The bit of byte `b` in [`Profile::set`].
fn bit(b: u8) -> u64 {
    let index = SLOT.get(usize::from(b)).copied().unwrap_or(NON_ASCII);
    1u64.wrapping_shl(u32::from(index))
}

/// The bits of the ASCII digits.
const DIGITS: u64 = 0x03ff << 26;

impl Profile {
    /// The profile of `s`.
    pub fn of(s: &str) -> Self {
        let mut p = Self {
            set: 0,
            ascii: true,
            double_colon: false,
            colons: 0,
            dots: 0,
            dashes: 0,
        };
        let mut previous = 0u8;
        for &b in s.as_bytes() {
            p.set |= bit(b);
            match b {
                b':' => {
                    p.colons = p.colons.saturating_add(1);
                    p.double_colon |= previous == b':';
                }
                b'.' => p.dots = p.dots.saturating_add(1),
                b'-' => p.dashes = p.dashes.saturating_add(1),
                _ => {}
            }
            previous = b;
        }
        p.ascii = (p.set & bit(0x80)) == 0;
        p
    }

    /// Whether the ASCII byte `b` may occur (either case for letters; exact for digits
    /// and the punctuation with a slot of its own).
    pub fn has(&self, b: u8) -> bool {
        self.set & bit(b) != 0
    }

    /// Whether an IPv4 address or network may be written in `s` (of this profile).
    pub fn may_have_ipv4(&self, s: &str) -> bool {
        if self.dots < 3 || self.set & DIGITS == 0 {
            return false;
        }
        let between_digits = s
            .as_bytes()
            .windows(3)
            .filter(|w| matches!(w, [a, b'.', c] if a.is_ascii_digit() && c.is_ascii_digit()))
            .count();
        between_digits >= 3
    }

    /// Whether an IPv6 address or network may be written in the string.
    pub fn may_have_ipv6(&self) -> bool {
        self.double_colon || self.colons >= 6
    }

    /// Whether a MAC address may be written in `s` (of this profile).
    pub fn may_have_mac(&self, s: &str) -> bool {
        if self.colons.saturating_add(self.dashes) < 5 && self.dots < 2 {
            return false;
        }
        if !self.ascii {
            return true;
        }
        let sep = |b: &u8| matches!(b, b':' | b'-');
        let hex = |b: &u8| b.is_ascii_hexdigit();
        let bytes = s.as_bytes();
        bytes.windows(4).any(|w| match w {
            [a, h1, h2, b] => sep(a) && sep(b) && hex(h1) && hex(h2),
            _ => false,
        }) || bytes.windows(6).any(|w| match w {
            [b'.', h1, h2, h3, h4, b'.'] => hex(h1) && hex(h2) && hex(h3) && hex(h4),
            _ => false,
        })
    }

    /// Whether an e-mail address may be written in the string.
    pub fn may_have_email(&self) -> bool {
        self.has(b'@')
    }

    /// Whether a home-directory path may be written in the string.
    pub fn may_have_user_path(&self) -> bool {
        self.has(b'/') || self.has(b'\\')
    }
}

/// For a set of literals matched case-insensitively: the ASCII characters each one
/// needs (as [`Profile`] bits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LiteralFilter {
    needs: Vec<u64>,
}

impl LiteralFilter {
    /// The filter for these literals (exactly those the matcher is compiled from).
    pub fn new<'a>(literals: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            needs: literals
                .into_iter()
                .map(|l| {
                    l.bytes()
                        .filter(u8::is_ascii)
                        .fold(0u64, |acc, b| acc | bit(b))
                })
                .collect(),
        }
    }

    /// Whether one of the literals may occur in a string of this profile.
    pub fn may_match(&self, p: &Profile) -> bool {
        !p.ascii || self.needs.iter().any(|n| p.set & n == *n)
    }
}

#[cfg(test)]
mod tests;
