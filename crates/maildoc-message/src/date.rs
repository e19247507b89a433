//! Dates as mail servers write them, read tolerantly and checked for plausibility: RFC 5322
//! (`Mon, 7 Dec 2026 03:00:00 +0900`, the weekday and seconds optional), folded or with
//! comments after it (`(JST)`, `(envelope-from <...>)`), obsolete and named zones (`UT`,
//! `GMT`, `EST`, `JST`, `EST5EDT`), and the ISO-like forms some software writes
//! (`2018-12-10 11:43:59.610180118 +0000 UTC`). Trailing words are ignored. A date whose
//! month, day, time or zone is impossible is no date.

use time::{Date, Month, PrimitiveDateTime, Time as Clock, UtcOffset};

/// A moment read from a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time {
    pub unix: i64,
    /// The zone as written, in minutes east of UTC.
    pub offset_min: i32,
}

impl Time {
    /// RFC 3339 in UTC.
    pub fn rfc3339(self) -> String {
        let t = time::OffsetDateTime::from_unix_timestamp(self.unix)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

/// The earliest and latest years taken as plausible.
const YEARS: std::ops::RangeInclusive<i32> = 1990..=2200;

/// The most of a text a date is looked for in: a date with its comments is far shorter, and
/// a caller trying many starting points in a long header stays linear.
const WINDOW: usize = 200;

/// Reads the first date in `text` (from its start, after comments are removed).
pub fn parse(text: &str) -> Option<Time> {
    let mut end = text.len().min(WINDOW);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cleaned = without_comments(&text[..end]);
    let tokens: Vec<&str> = cleaned
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    rfc5322(&tokens).or_else(|| iso(&tokens))
}

/// Comments in parentheses removed (nested ones too); a zone name alone in one, such as
/// `(UTC)` or `(JST)`, is kept as a word.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut comment = String::new();
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                if depth == 1 {
                    comment.clear();
                }
            }
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 && zone_name(comment.trim()).is_some() {
                    out.push(' ');
                    out.push_str(comment.trim());
                    out.push(' ');
                }
            }
            _ if depth > 0 => comment.push(c),
            _ => out.push(c),
        }
    }
    out
}

fn month(word: &str) -> Option<Month> {
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let w = word.get(..3)?.to_ascii_lowercase();
    let i = NAMES.iter().position(|m| *m == w)?;
    Month::try_from(u8::try_from(i + 1).ok()?).ok()
}

fn is_weekday(word: &str) -> bool {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    word.get(..3)
        .is_some_and(|w| DAYS.contains(&w.to_ascii_lowercase().as_str()))
}

/// `hh:mm[:ss][.fraction]`.
fn clock(word: &str) -> Option<Clock> {
    let mut parts = word.split(':');
    let h: u8 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let s = match parts.next() {
        Some(sec) => {
            let whole = sec.split('.').next()?;
            whole.parse::<u8>().ok()?.min(59)
        }
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    Clock::from_hms(h, m, s).ok()
}

/// A zone: `+0900`, `-03:00`, `Z`, or a name. None for a word that is no zone.
fn zone(word: &str) -> Option<i32> {
    let w = word.trim_matches(|c| c == '"' || c == '\'');
    if let Some(sign) = w.chars().next().filter(|c| *c == '+' || *c == '-') {
        let digits: String = w[1..].chars().filter(|c| *c != ':').collect();
        if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let h: i32 = digits[..2].parse().ok()?;
        let m: i32 = digits[2..].parse().ok()?;
        if h > 14 || m > 59 {
            return None;
        }
        let minutes = h * 60 + m;
        return Some(if sign == '-' { -minutes } else { minutes });
    }
    zone_name(w)
}

/// A zone's name: RFC 5322's obsolete ones, a few common others, and POSIX `EST5EDT`-style
/// names (their standard offset).
fn zone_name(word: &str) -> Option<i32> {
    let w = word.to_ascii_uppercase();
    let hours = match w.as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        "JST" | "KST" => 9,
        "CET" => 1,
        "CEST" => 2,
        "BST" => 1,
        _ => {
            // EST5EDT, PST8PDT: letters, the hours west of UTC, letters.
            let letters = w.chars().take_while(char::is_ascii_alphabetic).count();
            let digits: String = w[letters..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let rest = &w[letters + digits.len()..];
            if letters != 3 || digits.is_empty() || !rest.chars().all(|c| c.is_ascii_alphabetic()) {
                return None;
            }
            let west: i32 = digits.parse().ok()?;
            if west > 14 {
                return None;
            }
            -west
        }
    };
    Some(hours * 60)
}

fn year(word: &str) -> Option<i32> {
    if !word.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let y: i32 = word.parse().ok()?;
    let y = match word.len() {
        2 if y < 50 => 2000 + y,
        2 => 1900 + y,
        4 => y,
        _ => return None,
    };
    YEARS.contains(&y).then_some(y)
}

fn at(date: Date, clock: Clock, offset_min: i32) -> Option<Time> {
    let offset = UtcOffset::from_whole_seconds(offset_min * 60).ok()?;
    let unix = PrimitiveDateTime::new(date, clock)
        .assume_offset(offset)
        .unix_timestamp();
    Some(Time { unix, offset_min })
}

/// `[Mon,] 7 Dec 2026 03:00[:00] +0900`: no zone is taken as UTC (RFC 5322's `-0000`).
fn rfc5322(tokens: &[&str]) -> Option<Time> {
    let mut i = 0;
    if tokens.first().is_some_and(|t| is_weekday(t)) {
        i += 1;
    }
    let day: u8 = tokens.get(i)?.parse().ok()?;
    let month = month(tokens.get(i + 1)?)?;
    let year = year(tokens.get(i + 2)?)?;
    let clock = clock(tokens.get(i + 3)?)?;
    let offset = tokens.get(i + 4).and_then(|z| zone(z)).unwrap_or(0);
    let date = Date::from_calendar_date(year, month, day).ok()?;
    at(date, clock, offset)
}

/// `2018-12-10 11:43:59.61 +0000`, `2018-12-10T11:43:59Z`.
fn iso(tokens: &[&str]) -> Option<Time> {
    let first = tokens.first()?;
    let (day_part, time_part, rest) = match first.split_once('T') {
        Some((d, t)) => (d, t.to_owned(), &tokens[1..]),
        None => (
            *first,
            (*tokens.get(1)?).to_owned(),
            tokens.get(2..).unwrap_or(&[]),
        ),
    };
    let mut ymd = day_part.split('-');
    let year = year(ymd.next()?)?;
    let month = Month::try_from(ymd.next()?.parse::<u8>().ok()?).ok()?;
    let day: u8 = ymd.next()?.parse().ok()?;
    // A zone glued to the time: `11:43:59Z`, `11:43:59+09:00`.
    let (time_text, glued) = match time_part.find(['Z', '+', '-']) {
        Some(i) => (&time_part[..i], Some(&time_part[i..])),
        None => (time_part.as_str(), None),
    };
    let clock = clock(time_text)?;
    let offset = glued
        .and_then(zone)
        .or_else(|| rest.first().and_then(|z| zone(z)))
        .unwrap_or(0);
    let date = Date::from_calendar_date(year, month, day).ok()?;
    at(date, clock, offset)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn unix(text: &str) -> Option<i64> {
        parse(text).map(|t| t.unix)
    }

    const T: i64 = 1_796_612_400; // 2026-12-07T03:00:00Z

    #[test]
    fn the_forms_servers_write_read_the_same_moment() {
        for text in [
            "Mon, 07 Dec 2026 03:00:00 +0000",
            "Mon,  7 Dec 2026 03:00:00 +0000 (UTC)",
            "7 Dec 2026 12:00:00 +0900",
            "Mon, 7 Dec 2026 12:00:00 JST",
            "Mon, 7 Dec 2026 12:00:00 +09:00 (JST)",
            "Sun, 6 Dec 2026 22:00:00 EST",
            "Sun, 6 Dec 2026 22:00:00 EST5EDT",
            "Mon, 07 Dec 2026 03:00:00 GMT",
            "Mon, 07 Dec 2026 03:00:00 UT",
            "Mon, 07 Dec 2026 03:00 +0000",
            "Mon, 07 Dec 26 03:00:00 +0000",
            "Mon,\r\n 07 Dec 2026\r\n\t03:00:00 +0000",
            "Mon, 07 Dec 2026 03:00:00.123 +0000 (envelope-from <a@example.jp>)",
            "Mon, 07 Dec 2026 00:00:00 -0300 (-03)",
            "2026-12-07 03:00:00.610180118 +0000 UTC m=+555016.72",
            "2026-12-07T12:00:00+09:00",
            "2026-12-07T03:00:00Z",
            "Mon, 07 Dec 2026 03:00:00",
        ] {
            assert_eq!(unix(text), Some(T), "{text}");
        }
    }

    #[test]
    fn impossible_dates_are_no_dates() {
        for text in [
            "",
            "Mon, 32 Dec 2026 03:00:00 +0000",
            "Mon, 07 Foo 2026 03:00:00 +0000",
            "Mon, 07 Dec 1916 03:00:00 +0000",
            "Mon, 07 Dec 2026 25:00:00 +0000",
            "Mon, 30 Feb 2026 03:00:00 +0000",
            "2026-13-07 03:00:00",
            "id 15.1.225.42",
        ] {
            assert_eq!(unix(text), None, "{text}");
        }
        // An impossible zone is no zone: the time is read as UTC.
        assert_eq!(unix("Mon, 07 Dec 2026 03:00:00 +5000"), Some(T));
        assert_eq!(
            parse("Mon, 07 Dec 2026 03:00:00 +0900").unwrap().offset_min,
            540
        );
        assert_eq!(
            parse("Mon, 7 Dec 2026 12:00:00 +0900").unwrap().rfc3339(),
            "2026-12-07T03:00:00Z"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_reads_without_panic(text in "\\PC{0,80}") {
            let _ = parse(&text);
        }
    }
}
