//! UTC dates and times as RFC 7937 writes them (`full-date`,
//! `partial-time` of RFC 3339), without a calendar crate.

use alloc::string::String;

/// `(year, month, day)` of the day `days` after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let doe = z.rem_euclid(146_097);
	let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
	let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	let mp = (5 * doy + 2) / 153;
	let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
	let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
	let year = yoe + era * 400 + i64::from(month <= 2);
	(year, month, day)
}

/// `("YYYY-MM-DD", "hh:mm:ss.mmm")` for a Unix time in milliseconds.
pub fn format_utc(unix_ms: u64) -> (String, String) {
	let secs = unix_ms / 1_000;
	let (y, m, d) = civil_from_days((secs / 86_400) as i64);
	let s = secs % 86_400;
	(
		alloc::format!("{y:04}-{m:02}-{d:02}"),
		alloc::format!("{:02}:{:02}:{:02}.{:03}", s / 3_600, s / 60 % 60, s % 60, unix_ms % 1_000),
	)
}

fn two_digits(v: &[u8]) -> Option<u32> {
	(v.len() == 2 && v.iter().all(u8::is_ascii_digit))
		.then(|| u32::from(v[0] - b'0') * 10 + u32::from(v[1] - b'0'))
}

/// `DATE = 4DIGIT "-" 2DIGIT "-" 2DIGIT`, a real calendar day.
pub fn parse_date(v: &[u8]) -> Option<(u32, u32, u32)> {
	if v.len() != 10 || v[4] != b'-' || v[7] != b'-' || !v[..4].iter().all(u8::is_ascii_digit) {
		return None;
	}
	let year = v[..4].iter().fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'));
	let (month, day) = (two_digits(&v[5..7])?, two_digits(&v[8..10])?);
	let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
	let days_in_month = match month {
		1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
		4 | 6 | 9 | 11 => 30,
		2 if leap => 29,
		2 => 28,
		_ => return None,
	};
	(1..=days_in_month).contains(&day).then_some((year, month, day))
}

/// `partial-time = hh ":" mm ":" ss ["." 1*DIGIT]`; a leap second is allowed.
pub fn parse_time(v: &[u8]) -> Option<(u32, u32, u32)> {
	if v.len() < 8 || v[2] != b':' || v[5] != b':' {
		return None;
	}
	let (h, m, s) = (two_digits(&v[..2])?, two_digits(&v[3..5])?, two_digits(&v[6..8])?);
	let frac = &v[8..];
	let frac_ok = frac.is_empty()
		|| (frac[0] == b'.' && frac.len() > 1 && frac[1..].iter().all(u8::is_ascii_digit));
	(h < 24 && m < 60 && s <= 60 && frac_ok).then_some((h, m, s))
}

/// Days from 1970-01-01 to `(year, month, day)` (Howard Hinnant's
/// `days_from_civil`, the inverse of [`civil_from_days`]).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
	let year = year - i64::from(month <= 2);
	let era = year.div_euclid(400);
	let yoe = year.rem_euclid(400);
	let mp = i64::from((month + 9) % 12);
	let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
	let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	era * 146_097 + doe - 719_468
}

/// Unix seconds of a record's `date` and `time` (fractions dropped);
/// `None` if either does not parse or the moment is before 1970.
pub fn unix_seconds(date: &[u8], time: &[u8]) -> Option<u64> {
	let (y, m, d) = parse_date(date)?;
	let (h, min, s) = parse_time(time)?;
	let days = u64::try_from(days_from_civil(i64::from(y), m, d)).ok()?;
	Some(days * 86_400 + u64::from(h * 3_600 + min * 60 + s))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dates_and_times_format_in_utc() {
		assert_eq!(format_utc(0), ("1970-01-01".into(), "00:00:00.000".into()));
		assert_eq!(format_utc(1_368_751_086_825), ("2013-05-17".into(), "00:38:06.825".into()));
		// 2024-02-29 23:59:59.999, a leap day.
		assert_eq!(format_utc(1_709_251_199_999), ("2024-02-29".into(), "23:59:59.999".into()));
		assert_eq!(civil_from_days(-1), (1969, 12, 31));
		for ms in [0u64, 1_368_751_086_825, 1_709_251_199_999, 4_102_444_800_000] {
			let (date, time) = format_utc(ms);
			assert_eq!(unix_seconds(date.as_bytes(), time.as_bytes()), Some(ms / 1_000));
		}
		assert_eq!(unix_seconds(b"1969-12-31", b"23:59:59"), None);
	}

	#[test]
	fn dates_and_times_parse_strictly() {
		assert_eq!(parse_date(b"2013-05-17"), Some((2013, 5, 17)));
		assert_eq!(parse_date(b"2024-02-29"), Some((2024, 2, 29)));
		assert_eq!(parse_date(b"2023-02-29"), None);
		assert_eq!(parse_date(b"1900-02-29"), None);
		assert_eq!(parse_date(b"2013-5-17"), None);
		assert_eq!(parse_date(b"2013-00-10"), None);
		assert_eq!(parse_time(b"00:38:06.825"), Some((0, 38, 6)));
		assert_eq!(parse_time(b"23:59:60"), Some((23, 59, 60)));
		assert_eq!(parse_time(b"24:00:00"), None);
		assert_eq!(parse_time(b"12:00:00."), None);
		assert_eq!(parse_time(b"12:00:00Z"), None);
	}
}
