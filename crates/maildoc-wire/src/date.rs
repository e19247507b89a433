//! RFC 5322 date-times inside greetings, for clock checks.
//!
//! `220 mx.example ESMTP Sendmail 8.17.1; Sun, 22 Nov 2026 07:12:03 +0900`
//! `220 EX01 Microsoft ESMTP MAIL Service ready at Sun, 22 Nov 2026 07:12:03 +0000`

use time::{Date, Month};

/// The first valid RFC 5322 date-time in `text`, as Unix seconds.
///
/// Accepted: an optional day name (`Sun,`), day, month name, year (4 digits; 2 and 3 digits
/// as in RFC 5322 §4.3), `HH:MM[:SS]` (a leap second `60` counts as `59`), and a zone: a
/// numeric offset (`+0900`, `-0000`) or `UT`, `GMT`, `UTC`, `Z`, `EST`, `EDT`, `CST`, `CDT`,
/// `MST`, `MDT`, `PST`, `PDT` (without regard to case). A comment such as `(UTC)` may follow.
/// A date without a zone is not taken: its offset would be a guess. The day name is not
/// checked against the date.
pub fn find_date(text: &str) -> Option<i64> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | ';'))
        .filter(|w| !w.is_empty())
        .take(4096)
        .collect();
    (0..words.len()).find_map(|i| parse_at(&words[i..]))
}

fn parse_at(w: &[&str]) -> Option<i64> {
    let mut i = 0;
    if is_day_name(w.first()?) {
        i += 1;
    }
    let day = number(w.get(i)?, 1, 2)?;
    let month = month(w.get(i + 1)?)?;
    let year_word = w.get(i + 2)?;
    let mut year = number(year_word, 2, 4)?;
    match year_word.len() {
        2 if year < 50 => year += 2000,
        2 | 3 => year += 1900,
        _ => {}
    }
    let (hour, minute, second) = clock(w.get(i + 3)?)?;
    let offset = zone(w.get(i + 4)?)?;
    let year = i32::try_from(year).ok()?;
    let day = u8::try_from(day).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    if year < 1900 || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let second = second.min(59);
    let days = i64::from(date.to_julian_day()) - 2_440_588;
    let local = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    Some(local - offset)
}

fn is_day_name(w: &str) -> bool {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        .iter()
        .any(|d| d.eq_ignore_ascii_case(w))
}

/// A number of `min..=max` ASCII digits.
fn number(w: &str, min: usize, max: usize) -> Option<u32> {
    if !(min..=max).contains(&w.len()) || !w.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    w.parse().ok()
}

fn month(w: &str) -> Option<Month> {
    const NAMES: [(&str, Month); 12] = [
        ("Jan", Month::January),
        ("Feb", Month::February),
        ("Mar", Month::March),
        ("Apr", Month::April),
        ("May", Month::May),
        ("Jun", Month::June),
        ("Jul", Month::July),
        ("Aug", Month::August),
        ("Sep", Month::September),
        ("Oct", Month::October),
        ("Nov", Month::November),
        ("Dec", Month::December),
    ];
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(w))
        .map(|(_, m)| *m)
}

/// `HH:MM` or `HH:MM:SS`.
fn clock(w: &str) -> Option<(u32, u32, u32)> {
    let mut parts = w.split(':');
    let h = number(parts.next()?, 1, 2)?;
    let m = number(parts.next()?, 2, 2)?;
    let s = match parts.next() {
        Some(s) => number(s, 2, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    Some((h, m, s))
}

/// The zone's offset east of UTC in seconds. Trailing punctuation (`+0900;`, `GMT)`) is
/// ignored.
fn zone(w: &str) -> Option<i64> {
    let b = w.as_bytes();
    if let Some(&sign @ (b'+' | b'-')) = b.first() {
        let digits = b.get(1..5)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        if b.get(5).is_some_and(u8::is_ascii_alphanumeric) {
            return None;
        }
        let d = |i: usize| i64::from(digits[i] - b'0');
        let hours = d(0) * 10 + d(1);
        let minutes = d(2) * 10 + d(3);
        if hours > 23 || minutes > 59 {
            return None;
        }
        let secs = hours * 3600 + minutes * 60;
        return Some(if sign == b'-' { -secs } else { secs });
    }
    let name: String = w
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    if name.len() != w.trim_end_matches([')', ';', '.', ']']).len() {
        return None;
    }
    let hours = match name.as_str() {
        "UT" | "GMT" | "UTC" | "Z" => 0,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        _ => return None,
    };
    Some(hours * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-21T22:12:03Z
    const T: i64 = 1_795_299_123;

    #[test]
    fn greetings() {
        assert_eq!(
            find_date("220 mx.example ESMTP Sun, 22 Nov 2026 07:12:03 +0900"),
            Some(T)
        );
        assert_eq!(
            find_date(
                "220 mx.example ESMTP Sendmail 8.17.1/8.17.1; Sat, 21 Nov 2026 22:12:03 +0000 (UTC)"
            ),
            Some(T)
        );
        assert_eq!(
            find_date(
                "220 EX01.corp.example Microsoft ESMTP MAIL Service ready at Sat, 21 Nov 2026 17:12:03 -0500"
            ),
            Some(T)
        );
        assert_eq!(find_date("220 host 21 Nov 2026 22:12:03 GMT"), Some(T));
        assert_eq!(find_date("220 host 21 nov 2026 17:12:03 est"), Some(T));
        assert_eq!(
            find_date("220 host 21 Nov 2026 14:12:03 PST ready"),
            Some(T)
        );
        assert_eq!(find_date("220 host 21 Nov 2026 22:12 UT"), Some(T - 3));
        assert_eq!(find_date("220 host Sat,21 Nov 2026 22:12:03 Z"), Some(T));
        assert_eq!(find_date("220 host (21 Nov 2026 22:12:03 +0000)"), Some(T));
        assert_eq!(find_date("220 host; 21 Nov 2026 22:12:03 +0000;"), Some(T));
        // Leap second.
        assert_eq!(find_date("31 Dec 2016 23:59:60 +0000"), Some(1_483_228_799));
        // Epoch and two-digit years.
        assert_eq!(find_date("Thu, 1 Jan 1970 00:00:00 +0000"), Some(0));
        assert_eq!(find_date("1 Jan 70 00:00:00 GMT"), Some(0));
        assert_eq!(find_date("21 Nov 26 22:12:03 GMT"), Some(T));
    }

    #[test]
    fn absent_or_invalid() {
        assert_eq!(find_date("220 mx.example ESMTP Postfix"), None);
        assert_eq!(
            find_date("* OK [CAPABILITY IMAP4rev1] Dovecot ready."),
            None
        );
        assert_eq!(
            find_date("+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>"),
            None
        );
        assert_eq!(find_date("31 Feb 2026 10:00:00 +0000"), None);
        assert_eq!(find_date("21 Nov 2026 24:00:00 +0000"), None);
        assert_eq!(find_date("21 Nov 2026 22:61:00 +0000"), None);
        assert_eq!(find_date("21 Nov 2026 22:12:03"), None);
        assert_eq!(find_date("21 Nov 2026 22:12:03 +09"), None);
        assert_eq!(find_date("21 Nov 2026 22:12:03 +2400"), None);
        assert_eq!(find_date("21 Nov 2026 22:12:03 XYZ"), None);
        assert_eq!(find_date("21 Nov 2026 22:12:03 +0000abc"), None);
        assert_eq!(find_date("21 Foo 2026 22:12:03 +0000"), None);
        assert_eq!(find_date("121 Nov 2026 22:12:03 +0000"), None);
        assert_eq!(find_date(""), None);
    }
}
