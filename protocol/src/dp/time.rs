//! Time coarsening: STIX timestamps floored to a bucket of whole seconds.
//!
//! Privacy unit: none — this is deterministic generalisation (`ε = 0` in the receipt), not a
//! differential-privacy mechanism. It removes precision that could single out one member's
//! event (exact detection times) and is applied on top of the DP fields.
//!
//! Guarantees: the result is a STIX timestamp with exactly millisecond precision
//! (`YYYY-MM-DDTHH:MM:SS.000Z`) at a multiple of the bucket since the Unix epoch, never
//! later than the original; flooring is monotone, so every order constraint between
//! coarsened properties (`last_seen >= first_seen`, `last_observed >= first_observed`,
//! `modified >= created`) still holds.

use crate::stix::Timestamp;

use super::DpError;

/// The properties coarsened on every object that has them.
pub const TIME_PROPERTIES: [&str; 6] = [
    "created",
    "modified",
    "first_seen",
    "last_seen",
    "first_observed",
    "last_observed",
];

/// 0000-01-01T00:00:00Z.
const MIN_UNIX: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z.
const MAX_UNIX: i64 = 253_402_300_799;

/// Floor a STIX timestamp to a multiple of `bucket_secs` (≥ 1) seconds since the Unix epoch,
/// formatted with millisecond precision.
pub fn coarsen(timestamp: &str, bucket_secs: u64) -> Result<String, DpError> {
    let parsed = Timestamp::parse(timestamp).map_err(|e| DpError::BadProperty {
        path: "timestamp".to_owned(),
        reason: format!("{timestamp:?} is not a STIX timestamp: {e}"),
    })?;
    let floored = floor_unix(parsed.unix_seconds(), bucket_secs)?;
    format_unix(floored)
}

/// `unix` floored to a multiple of `bucket_secs`.
pub fn floor_unix(unix: i64, bucket_secs: u64) -> Result<i64, DpError> {
    let bucket = i64::try_from(bucket_secs)
        .ok()
        .filter(|b| *b > 0)
        .ok_or_else(|| DpError::BadParams(format!("bad time bucket {bucket_secs}")))?;
    unix.checked_div_euclid(bucket)
        .and_then(|n| n.checked_mul(bucket))
        .ok_or_else(|| DpError::BadParams(format!("cannot floor {unix} to {bucket_secs}")))
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (years 0000 to 9999).
pub fn format_unix_ms(unix_ms: i64) -> Result<String, DpError> {
    let secs = unix_ms.div_euclid(1000);
    let ms = unix_ms.rem_euclid(1000);
    let base = format_unix(secs)?;
    Ok(format!("{}{ms:03}Z", base.trim_end_matches("000Z")))
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SS.000Z` (years 0000 to 9999).
pub fn format_unix(unix: i64) -> Result<String, DpError> {
    if !(MIN_UNIX..=MAX_UNIX).contains(&unix) {
        return Err(DpError::BadParams(format!(
            "unix time {unix} is outside the years 0000 to 9999"
        )));
    }
    let (y, m, d, hh, mm, ss) = civil(unix);
    Ok(format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.000Z"))
}

/// Calendar date and time of a unix time within `MIN_UNIX..=MAX_UNIX` (Howard Hinnant's
/// `civil_from_days`).
// Cannot overflow: the range check above bounds every intermediate far inside i64.
#[allow(clippy::arithmetic_side_effects)]
fn civil(unix: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs / 3_600, secs % 3_600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_floors() {
        assert_eq!(format_unix(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_unix_ms(-1).unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_unix_ms(1_250).unwrap(), "1970-01-01T00:00:01.250Z");
        assert_eq!(format_unix(MIN_UNIX).unwrap(), "0000-01-01T00:00:00.000Z");
        assert_eq!(format_unix(MAX_UNIX).unwrap(), "9999-12-31T23:59:59.000Z");
        assert_eq!(
            format_unix(951_868_800).unwrap(),
            "2000-03-01T00:00:00.000Z"
        );
        assert_eq!(
            format_unix(951_782_400).unwrap(),
            "2000-02-29T00:00:00.000Z"
        );
        assert!(format_unix(MIN_UNIX - 1).is_err());
        assert!(format_unix(MAX_UNIX + 1).is_err());
        assert_eq!(
            coarsen("2016-04-06T20:03:48.999Z", 3_600).unwrap(),
            "2016-04-06T20:00:00.000Z"
        );
        assert_eq!(
            coarsen("2016-04-06T20:03:48Z", 1).unwrap(),
            "2016-04-06T20:03:48.000Z"
        );
        assert_eq!(
            coarsen("1969-12-31T23:30:00Z", 3_600).unwrap(),
            "1969-12-31T23:00:00.000Z"
        );
        assert_eq!(
            coarsen("2016-12-31T23:59:60.5Z", 1).unwrap(),
            "2017-01-01T00:00:00.000Z"
        );
        assert!(coarsen("0000-01-01T00:30:00Z", 86_400 * 7).is_err());
        assert!(coarsen("not a time", 60).is_err());
        assert!(floor_unix(5, 0).is_err());
    }

    #[test]
    fn round_trips_every_day_boundary_over_centuries() {
        let mut unix = MIN_UNIX;
        while unix <= MAX_UNIX {
            let text = format_unix(unix).unwrap();
            assert_eq!(
                Timestamp::parse(&text).unwrap().unix_seconds(),
                unix,
                "{text}"
            );
            unix += 86_400 * 13 + 3_607;
        }
    }
}
