//! Values for params: dates, durations, sizes and seconds. Numbers and units only; the
//! knowledge base writes the sentences around them.

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;

/// (year, month, day) of a day counted from 1970-01-01 (proleptic Gregorian calendar).
///
/// Howard Hinnant's `civil_from_days`; exact for every `i64` day a certificate can carry.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2025-06-15` (UTC).
pub(crate) fn date(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2025-06-15 15:06:40 UTC`.
pub(crate) fn date_time(unix: i64) -> String {
    let secs = unix.rem_euclid(DAY);
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        date(unix),
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

fn count(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// A length of time in its two largest adjacent units: `2 days`, `1 day 3 hours`,
/// `3 hours 5 minutes`, `7 minutes`, `40 seconds`. Zero parts are left out.
pub(crate) fn duration(secs: i64) -> String {
    let secs = secs.abs();
    let (days, hours, minutes) = (secs / DAY, secs % DAY / 3_600, secs % 3_600 / 60);
    let (big, small) = if days > 0 {
        (
            count(days, "day"),
            (hours > 0).then(|| count(hours, "hour")),
        )
    } else if hours > 0 {
        (
            count(hours, "hour"),
            (minutes > 0).then(|| count(minutes, "minute")),
        )
    } else if minutes > 0 {
        (count(minutes, "minute"), None)
    } else {
        (count(secs, "second"), None)
    };
    match small {
        Some(small) => format!("{big} {small}"),
        None => big,
    }
}

/// `value / divisor` rounded to tenths, as `"12.3"`.
fn tenths(value: u64, divisor: u128) -> String {
    let t = (u128::from(value) * 10 + divisor / 2) / divisor;
    format!("{}.{}", t / 10, t % 10)
}

/// A storage amount given in KiB (IMAP QUOTA STORAGE): `512 KB`, `1.0 MB`, `2.5 GB`.
/// Units are powers of 1024.
pub(crate) fn kib(kib: u64) -> String {
    const UNITS: [&str; 4] = ["MB", "GB", "TB", "PB"];
    if kib < 1_024 {
        return format!("{kib} KB");
    }
    let mut divisor: u128 = 1_024;
    let mut unit = 0;
    while u128::from(kib) >= divisor * 1_024 && unit + 1 < UNITS.len() {
        divisor *= 1_024;
        unit += 1;
    }
    format!("{} {}", tenths(kib, divisor), UNITS[unit])
}

/// A size in bytes (SMTP SIZE): `1 MB`, `2.5 MB`, `500 KB`, `800 B`. Units are powers of 1024;
/// a whole number of MB drops the `.0`.
pub(crate) fn bytes(n: u64) -> String {
    const MIB: u128 = 1_048_576;
    if n < 1_024 {
        return format!("{n} B");
    }
    if u128::from(n) < MIB {
        return format!("{} KB", (n + 512) / 1_024);
    }
    let text = tenths(n, MIB);
    match text.strip_suffix(".0") {
        Some(whole) => format!("{whole} MB"),
        None => format!("{text} MB"),
    }
}

/// Milliseconds as seconds with one decimal: `3.2`.
pub(crate) fn seconds(ms: u64) -> String {
    tenths(ms, 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date_time(1_750_000_000), "2025-06-15 15:06:40 UTC");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date_time(4_102_444_799), "2099-12-31 23:59:59 UTC");
    }

    #[test]
    fn durations_use_two_adjacent_units() {
        assert_eq!(duration(3 * 3_600 + 5 * 60 + 9), "3 hours 5 minutes");
        assert_eq!(duration(2 * DAY + 40), "2 days");
        assert_eq!(duration(DAY + 3_600), "1 day 1 hour");
        assert_eq!(duration(-420), "7 minutes");
        assert_eq!(duration(40), "40 seconds");
        assert_eq!(duration(1), "1 second");
    }

    #[test]
    fn sizes_use_1024_multiples() {
        assert_eq!(kib(512), "512 KB");
        assert_eq!(kib(1_024), "1.0 MB");
        assert_eq!(kib(2_621_440), "2.5 GB");
        assert_eq!(bytes(1_048_576), "1 MB");
        assert_eq!(bytes(2_621_440), "2.5 MB");
        assert_eq!(bytes(512_000), "500 KB");
        assert_eq!(bytes(800), "800 B");
        assert_eq!(seconds(3_240), "3.2");
        assert_eq!(seconds(5_001), "5.0");
    }
}
