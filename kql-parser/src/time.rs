//! Parsing of datetime and timespan literal text (spec §2).

use crate::ast::{DateTime, TimeSpan};

const TICKS_PER_SECOND: i128 = 10_000_000;

/// Timespan unit spellings and their length in ticks × 100 (so that a nanosecond, a hundredth
/// of a tick, is exact). KL `TokenParser.cs` `TimespanSuffixes`; longest spellings first.
pub(crate) const TIMESPAN_UNITS: &[(&str, i128)] = &[
    ("milliseconds", 1_000_000),
    ("microseconds", 1_000),
    ("nanoseconds", 1),
    ("millisecond", 1_000_000),
    ("microsecond", 1_000),
    ("nanosecond", 1),
    ("millisec", 1_000_000),
    ("microsec", 1_000),
    ("nanosec", 1),
    ("minutes", 60 * 100 * TICKS_PER_SECOND),
    ("seconds", 100 * TICKS_PER_SECOND),
    ("minute", 60 * 100 * TICKS_PER_SECOND),
    ("second", 100 * TICKS_PER_SECOND),
    ("millis", 1_000_000),
    ("micros", 1_000),
    ("nanos", 1),
    ("milli", 1_000_000),
    ("micro", 1_000),
    ("nano", 1),
    ("hours", 3600 * 100 * TICKS_PER_SECOND),
    ("ticks", 100),
    ("days", 86400 * 100 * TICKS_PER_SECOND),
    ("hour", 3600 * 100 * TICKS_PER_SECOND),
    ("tick", 100),
    ("hrs", 3600 * 100 * TICKS_PER_SECOND),
    ("min", 60 * 100 * TICKS_PER_SECOND),
    ("sec", 100 * TICKS_PER_SECOND),
    ("day", 86400 * 100 * TICKS_PER_SECOND),
    ("hr", 3600 * 100 * TICKS_PER_SECOND),
    ("ms", 1_000_000),
    ("d", 86400 * 100 * TICKS_PER_SECOND),
    ("h", 3600 * 100 * TICKS_PER_SECOND),
    ("m", 60 * 100 * TICKS_PER_SECOND),
    ("s", 100 * TICKS_PER_SECOND),
];

/// The value of `number` (digits with an optional fraction) times `unit`, in ticks.
/// Fractions of a tick are truncated. `None` when the unit is unknown or on overflow.
pub(crate) fn timespan_from_number_and_unit(number: &str, unit: &str) -> Option<TimeSpan> {
    let per = TIMESPAN_UNITS.iter().find(|(u, _)| *u == unit)?.1;
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int_value: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut hundredths = int_value.checked_mul(per)?;
    // Fraction: at most 18 significant digits matter for any unit.
    let frac = &frac[..frac.len().min(18)];
    if !frac.is_empty() {
        let f: i128 = frac.parse().ok()?;
        let scale = 10i128.pow(u32::try_from(frac.len()).ok()?);
        hundredths = hundredths.checked_add(f.checked_mul(per)? / scale)?;
    }
    let ticks = i64::try_from(hundredths / 100).ok()?;
    Some(TimeSpan::from_ticks(ticks))
}

fn strip_quotes(text: &str) -> &str {
    let t = text.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = t.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner.trim();
        }
    }
    t
}

/// Parses the content of `timespan(...)`.
pub(crate) fn parse_timespan_goo(text: &str) -> Option<TimeSpan> {
    let t = strip_quotes(text);
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t.strip_prefix('+').unwrap_or(t).trim_start()),
    };
    let span = if t.contains(':') {
        parse_clock(t)?
    } else {
        let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        let unit = unit.trim();
        timespan_from_number_and_unit(number, if unit.is_empty() { "d" } else { unit })?
    };
    Some(if neg { TimeSpan::from_ticks(span.ticks().checked_neg()?) } else { span })
}

/// `[d.]hh:mm[:ss[.fffffff]]`
fn parse_clock(t: &str) -> Option<TimeSpan> {
    let mut parts = t.split(':');
    let first = parts.next()?;
    let (days, hours) = match first.split_once('.') {
        Some((d, h)) => (digits(d)?, digits(h)?),
        None => (0, digits(first)?),
    };
    let minutes = digits(parts.next()?)?;
    let (seconds, frac_ticks) = match parts.next() {
        None => (0, 0),
        Some(s) => match s.split_once('.') {
            Some((whole, frac)) => (digits(whole)?, fraction_ticks(frac)?),
            None => (digits(s)?, 0),
        },
    };
    if parts.next().is_some() || hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    let secs = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
    let ticks = secs.checked_mul(TICKS_PER_SECOND)?.checked_add(frac_ticks)?;
    Some(TimeSpan::from_ticks(i64::try_from(ticks).ok()?))
}

fn digits(s: &str) -> Option<i128> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Up to 7 fraction digits as ticks; further digits are truncated.
fn fraction_ticks(frac: &str) -> Option<i128> {
    if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seven: String = frac.chars().chain(std::iter::repeat('0')).take(7).collect();
    seven.parse().ok()
}

/// Parses the content of `datetime(...)`.
pub(crate) fn parse_datetime(text: &str) -> Option<DateTime> {
    let t = strip_quotes(text);
    parse_iso(t).or_else(|| parse_rfc(t))
}

struct Scanner<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn new(s: &'a str) -> Self {
        Self { s, pos: 0 }
    }
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn eat(&mut self, c: char) -> bool {
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn skip_spaces(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.s.len() - trimmed.len();
    }
    /// Exactly `min..=max` ASCII digits.
    fn number(&mut self, min: usize, max: usize) -> Option<i64> {
        let n = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        if n < min || n > max {
            return None;
        }
        let v = self.rest()[..n].parse().ok()?;
        self.pos += n;
        Some(v)
    }
    /// Exactly `n` ASCII digits, whatever follows.
    fn fixed(&mut self, n: usize) -> Option<i64> {
        let digits = self.rest().get(..n)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v = digits.parse().ok()?;
        self.pos += n;
        Some(v)
    }
    fn word(&mut self) -> &'a str {
        let n = self.rest().bytes().take_while(u8::is_ascii_alphabetic).count();
        let w = &self.rest()[..n];
        self.pos += n;
        w
    }
    fn done(&self) -> bool {
        self.pos == self.s.len()
    }
}

/// `hh:mm[:ss[.fffffff]]` → (seconds of day, fraction ticks)
fn time_of_day(sc: &mut Scanner<'_>) -> Option<(i64, i64)> {
    let h = sc.number(1, 2)?;
    if !sc.eat(':') {
        return None;
    }
    let m = sc.number(2, 2)?;
    let (s, frac) = if sc.eat(':') {
        let s = sc.number(2, 2)?;
        let frac = if sc.eat('.') {
            let n = sc.rest().bytes().take_while(u8::is_ascii_digit).count();
            let f = fraction_ticks(&sc.rest()[..n])?;
            sc.pos += n;
            i64::try_from(f).ok()?
        } else {
            0
        };
        (s, frac)
    } else {
        (0, 0)
    };
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some((h * 3600 + m * 60 + s, frac))
}

/// `Z`, `GMT`, `UTC`, `+hh:mm`, `-hhmm`, or nothing → offset in seconds east of UTC.
fn zone(sc: &mut Scanner<'_>) -> Option<i64> {
    sc.skip_spaces();
    if sc.done() {
        return Some(0);
    }
    if sc.eat('Z') || sc.eat('z') {
        return Some(0);
    }
    let sign = if sc.eat('+') {
        1
    } else if sc.eat('-') {
        -1
    } else {
        return match sc.word() {
            "GMT" | "UTC" | "UT" => Some(0),
            _ => None,
        };
    };
    let h = sc.fixed(2)?;
    sc.eat(':');
    let m = sc.fixed(2)?;
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

fn assemble(year: i64, month: i64, day: i64, secs: i64, frac: i64, offset: i64) -> Option<DateTime> {
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    )?;
    let midnight = date.and_hms_opt(0, 0, 0)?.and_utc().timestamp();
    let unix = midnight + secs - offset;
    let ticks = i128::from(unix) * TICKS_PER_SECOND + i128::from(frac) + i128::from(DateTime::UNIX_EPOCH_TICKS);
    DateTime::from_ticks(i64::try_from(ticks).ok()?)
}

/// `M/d/yyyy[ h:mm[:ss[.f]][ AM|PM]]` (month first, as .NET's invariant culture reads it).
pub(crate) fn parse_us(t: &str) -> Option<DateTime> {
    let mut sc = Scanner::new(t.trim());
    let month = sc.number(1, 2)?;
    if !sc.eat('/') {
        return None;
    }
    let day = sc.number(1, 2)?;
    if !sc.eat('/') {
        return None;
    }
    let year = sc.number(4, 4)?;
    sc.skip_spaces();
    let (mut secs, frac) = if sc.done() { (0, 0) } else { time_of_day(&mut sc)? };
    sc.skip_spaces();
    match sc.word() {
        "" => {}
        w if w.eq_ignore_ascii_case("AM") || w.eq_ignore_ascii_case("PM") => {
            let hour = secs / 3600;
            if !(1..=12).contains(&hour) {
                return None;
            }
            let pm = w.eq_ignore_ascii_case("PM");
            secs += match (hour == 12, pm) {
                (true, false) => -12 * 3600,
                (false, true) => 12 * 3600,
                _ => 0,
            };
        }
        _ => return None,
    }
    let offset = zone(&mut sc)?;
    if !sc.done() {
        return None;
    }
    assemble(year, month, day, secs, frac, offset)
}

/// `yyyy-mm-dd[(T| )hh:mm[:ss[.f+]]][zone]`
fn parse_iso(t: &str) -> Option<DateTime> {
    let mut sc = Scanner::new(t);
    let year = sc.number(4, 4)?;
    let sep = if sc.eat('-') {
        '-'
    } else if sc.eat('/') {
        '/'
    } else {
        return None;
    };
    let month = sc.number(1, 2)?;
    if !sc.eat(sep) {
        return None;
    }
    let day = sc.number(1, 2)?;
    let (secs, frac) = if sc.eat('T') || sc.eat(' ') {
        sc.skip_spaces();
        time_of_day(&mut sc)?
    } else {
        (0, 0)
    };
    let offset = zone(&mut sc)?;
    if !sc.done() {
        return None;
    }
    assemble(year, month, day, secs, frac, offset)
}

fn month_number(name: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let lower = name.to_ascii_lowercase();
    MONTHS.iter().position(|m| lower.starts_with(m) && lower.len() >= 3).and_then(|i| i64::try_from(i + 1).ok())
}

fn two_digit_year(y: i64, digits: usize) -> i64 {
    if digits > 2 {
        y
    } else if y < 50 {
        2000 + y
    } else {
        1900 + y
    }
}

/// RFC 822 `[Sat, ]8 Nov 14 15:05[:02] [GMT]` and RFC 850 `[Saturday, ]08-Nov-14 15:05[:02] [GMT]`.
fn parse_rfc(t: &str) -> Option<DateTime> {
    let mut sc = Scanner::new(t);
    // optional weekday
    let save = sc.pos;
    let w = sc.word();
    if w.is_empty() || !sc.eat(',') {
        sc.pos = save;
    }
    sc.skip_spaces();
    let day = sc.number(1, 2)?;
    let dash = sc.eat('-');
    if !dash {
        sc.skip_spaces();
    }
    let month = month_number(sc.word())?;
    if dash {
        if !sc.eat('-') {
            return None;
        }
    } else {
        sc.skip_spaces();
    }
    let before = sc.pos;
    let y = sc.number(2, 4)?;
    let year = two_digit_year(y, sc.pos - before);
    sc.skip_spaces();
    let (secs, frac) = time_of_day(&mut sc)?;
    let offset = zone(&mut sc)?;
    if !sc.done() {
        return None;
    }
    assemble(year, month, day, secs, frac, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> String {
        parse_datetime(s).map_or_else(|| "none".into(), |d| d.to_string())
    }

    #[test]
    fn datetime_forms_from_the_docs() {
        assert_eq!(dt("2014-05-25T08:20:03.123456Z"), "2014-05-25T08:20:03.123456Z");
        assert_eq!(dt("2014-05-25T08:20"), "2014-05-25T08:20:00Z");
        assert_eq!(dt("2014-11-08 15:55:55.123456Z"), "2014-11-08T15:55:55.123456Z");
        assert_eq!(dt("2014-11-08 15:55"), "2014-11-08T15:55:00Z");
        assert_eq!(dt("2014-11-08"), "2014-11-08T00:00:00Z");
        assert_eq!(dt("2015-12-31 23:59:59.9"), "2015-12-31T23:59:59.9Z");
        assert_eq!(dt("Sat, 8 Nov 14 15:05:02 GMT"), "2014-11-08T15:05:02Z");
        assert_eq!(dt("8 Nov 14 15:05"), "2014-11-08T15:05:00Z");
        assert_eq!(dt("Saturday, 08-Nov-14 15:05:02 GMT"), "2014-11-08T15:05:02Z");
        assert_eq!(dt("08-Nov-14 15:05"), "2014-11-08T15:05:00Z");
        assert_eq!(dt("'2024-01-01'"), "2024-01-01T00:00:00Z");
        // offsets are converted to UTC (EMU test_datetime_traps)
        assert_eq!(dt("2021-01-01T10:00:00+02:00"), "2021-01-01T08:00:00Z");
        assert_eq!(dt("2021-01-01T10:00:00-0130"), "2021-01-01T11:30:00Z");
        // more than 7 fraction digits are truncated
        assert_eq!(dt("2021-01-01T00:00:00.123456789Z"), "2021-01-01T00:00:00.1234567Z");
        for bad in ["2025", "20250614", "2021-13-01", "2021-02-30", "nope", "2021-01-01T25:00", ""] {
            assert_eq!(dt(bad), "none", "{bad}");
        }
    }

    #[test]
    fn timespan_forms() {
        let ticks = |s: &str| parse_timespan_goo(s).map(TimeSpan::ticks);
        assert_eq!(ticks("1d"), Some(864_000_000_000));
        assert_eq!(ticks("2"), Some(2 * 864_000_000_000));
        assert_eq!(ticks("1.5h"), Some(54_000_000_000));
        assert_eq!(ticks("15 seconds"), Some(150_000_000));
        assert_eq!(ticks("1.02:03:04.5"), Some(((26 * 60 + 3) * 60 + 4) * 10_000_000 + 5_000_000));
        assert_eq!(ticks("00:01"), Some(600_000_000));
        assert_eq!(ticks("-1d"), Some(-864_000_000_000));
        assert_eq!(ticks("100nanoseconds"), Some(1));
        assert_eq!(ticks("3ticks"), Some(3));
        assert_eq!(ticks("1w"), None);
        assert_eq!(ticks("1:61"), None);
    }
}
