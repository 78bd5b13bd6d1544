//! STIX 2.1 timestamps (§2.14): RFC 3339 in UTC, `YYYY-MM-DDTHH:mm:ss[.s+]Z`, parsed
//! without a clock or a date library, and ordered exactly (any number of fractional digits).

use std::cmp::Ordering;
use std::fmt;

/// A parsed STIX timestamp. Ordering and equality are by instant, not by text
/// (`…:00Z` equals `…:00.000Z`).
#[derive(Debug, Clone)]
pub struct Timestamp {
    text: String,
    unix_seconds: i64,
    /// Fractional-second digits with trailing zeros removed.
    fraction: String,
    /// Number of fractional digits as written.
    precision: usize,
}

/// Why a string is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TimestampError(pub &'static str);

impl Timestamp {
    /// Parse `YYYY-MM-DDTHH:mm:ss[.s+]Z` (uppercase `T` and `Z`, UTC only, real calendar
    /// dates; second 60 is accepted for leap seconds as RFC 3339 allows).
    pub fn parse(s: &str) -> Result<Timestamp, TimestampError> {
        let b = s.as_bytes();
        let shape = "expected YYYY-MM-DDTHH:mm:ss[.s+]Z";
        if b.len() < 20 {
            return Err(TimestampError(shape));
        }
        let sep = |i: usize, c: u8| b.get(i) == Some(&c);
        if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
            return Err(TimestampError(shape));
        }
        let year = digits(b, 0, 4).ok_or(TimestampError(shape))?;
        let month = digits(b, 5, 2).ok_or(TimestampError(shape))?;
        let day = digits(b, 8, 2).ok_or(TimestampError(shape))?;
        let hour = digits(b, 11, 2).ok_or(TimestampError(shape))?;
        let minute = digits(b, 14, 2).ok_or(TimestampError(shape))?;
        let second = digits(b, 17, 2).ok_or(TimestampError(shape))?;
        let rest = b.get(19..).ok_or(TimestampError(shape))?;
        let (fraction_bytes, zone) = match rest.split_first() {
            Some((b'.', after)) => {
                let n = after.iter().take_while(|c| c.is_ascii_digit()).count();
                if n == 0 {
                    return Err(TimestampError("a decimal point must be followed by digits"));
                }
                (
                    after.get(..n).unwrap_or_default(),
                    after.get(n..).unwrap_or_default(),
                )
            }
            _ => (&[][..], rest),
        };
        if zone != b"Z" {
            return Err(TimestampError("timestamps must be UTC and end in 'Z'"));
        }
        if !(1..=12).contains(&month) {
            return Err(TimestampError("month out of range"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(TimestampError("day out of range for the month"));
        }
        if hour > 23 || minute > 59 || second > 60 {
            return Err(TimestampError("time of day out of range"));
        }
        let unix_seconds = unix_seconds(year, month, day, hour, minute, second);
        let fraction_text = std::str::from_utf8(fraction_bytes).unwrap_or_default();
        Ok(Timestamp {
            text: s.to_owned(),
            unix_seconds,
            fraction: fraction_text.trim_end_matches('0').to_owned(),
            precision: fraction_bytes.len(),
        })
    }

    /// Whole seconds since the Unix epoch (negative before 1970).
    pub fn unix_seconds(&self) -> i64 {
        self.unix_seconds
    }

    /// Milliseconds since the Unix epoch (digits beyond the millisecond are dropped).
    pub fn unix_millis(&self) -> i64 {
        let mut ms = 0i64;
        for (i, c) in self
            .fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(3)
            .enumerate()
        {
            let d = i64::from(c.saturating_sub(b'0'));
            ms = ms.saturating_add(d.saturating_mul(match i {
                0 => 100,
                1 => 10,
                _ => 1,
            }));
        }
        self.unix_seconds.saturating_mul(1000).saturating_add(ms)
    }

    /// The text as parsed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How many fractional-second digits the text carried (3 for `.000Z`).
    pub fn precision(&self) -> usize {
        self.precision
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        // Trailing zeros are trimmed, so comparing digit strings lexicographically is
        // comparing the fractions numerically ("5" > "49", "" < "001").
        self.unix_seconds
            .cmp(&other.unix_seconds)
            .then_with(|| self.fraction.cmp(&other.fraction))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn digits(b: &[u8], start: usize, len: usize) -> Option<u32> {
    let slice = b.get(start..start.checked_add(len)?)?;
    slice.iter().try_fold(0u32, |acc, &c| {
        let digit = c
            .is_ascii_digit()
            .then(|| u32::from(c.wrapping_sub(b'0')))?;
        acc.checked_mul(10)?.checked_add(digit)
    })
}

/// Seconds since the epoch of a validated date and time.
// Cannot overflow: the year has at most four digits and every other field is range-checked.
#[allow(clippy::arithmetic_side_effects)]
fn unix_seconds(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> i64 {
    let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
    days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
// Cannot overflow for the four-digit years and checked months/days it is given.
#[allow(clippy::arithmetic_side_effects)]
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn parses_and_converts() {
        assert_eq!(ts("1970-01-01T00:00:00Z").unix_seconds(), 0);
        assert_eq!(ts("2016-04-06T20:03:48.000Z").unix_seconds(), 1_459_973_028);
        assert_eq!(ts("2016-04-06T20:03:48.000Z").precision(), 3);
        assert_eq!(ts("2000-02-29T23:59:60Z").unix_seconds(), 951_868_800);
        assert_eq!(ts("0001-01-01T00:00:00Z").unix_seconds(), -62_135_596_800);
        assert_eq!(
            ts("2016-04-06T20:03:48.5Z").unix_millis(),
            1_459_973_028_500
        );
        assert_eq!(
            ts("2016-04-06T20:03:48.123456Z").unix_millis(),
            1_459_973_028_123
        );
        assert_eq!(ts("2016-04-06T20:03:48Z").unix_millis(), 1_459_973_028_000);
    }

    #[test]
    fn orders_by_instant() {
        assert_eq!(ts("2016-01-01T00:00:00Z"), ts("2016-01-01T00:00:00.000Z"));
        assert!(ts("2016-01-01T00:00:00.5Z") > ts("2016-01-01T00:00:00.49999Z"));
        assert!(ts("2016-01-01T00:00:00.001Z") > ts("2016-01-01T00:00:00Z"));
        assert!(ts("2016-01-01T00:00:01Z") > ts("2016-01-01T00:00:00.999999999Z"));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2016-01-01",
            "2016-01-01T00:00:00",
            "2016-01-01T00:00:00+00:00",
            "2016-01-01t00:00:00z",
            "2016-01-01T00:00:00.Z",
            "2016-13-01T00:00:00Z",
            "2015-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2016-01-32T00:00:00Z",
            "2016-01-01T24:00:00Z",
            "2016-01-01T00:60:00Z",
            "2016-01-01T00:00:61Z",
            "2022-101-27T13:49:54.326Z",
            "2016-01-01T00:00:00ZZ",
            "２016-01-01T00:00:00Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }
}
