//! Datetimes and timespans: `datetime_part`, `datetime_add`, `dayofweek`, `week_of_year`,
//! `monthofyear`, `startof*`/`endof*` with offsets, `make_datetime`, `make_timespan`,
//! `unixtime_*_todatetime`, `format_datetime`, `format_timespan`.
//!
//! Datetimes are UTC nanoseconds; `endof*` is the last tick (100 ns) of the period, as Kusto
//! prints `2017-01-01T23:59:59.9999999Z`. Weeks start on Sunday (`startofweek`, `dayofweek`);
//! `week_of_year` is ISO 8601's. Adding months keeps the day of the month, or the month's last
//! day when it has fewer days (.NET's `AddMonths`).

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, Timelike, Utc};
use datafusion::arrow::array::{ArrayRef, DurationNanosecondArray, TimestampNanosecondArray};
use datafusion::common::Result;
use std::sync::Arc;

use super::Param::{ConstStr, Long, Num, Real, Span, Str, Time};
use super::{Call, Def, Out, f, ints, texts};

/// The datetime functions.
pub static FUNCTIONS: &[Def] = &[
    f("datetime_part", &[ConstStr, Time], Out::Int, datetime_part).aka(&["datepart"]).checked(check_part),
    f("datetime_add", &[ConstStr, Long, Time], Out::Time, datetime_add).checked(check_add_part),
    f("dayofweek", &[Time], Out::Span, dayofweek),
    f("week_of_year", &[Time], Out::Int, week_of_year).aka(&["weekofyear"]),
    f("monthofyear", &[Time], Out::Int, monthofyear),
    f("startofday", &[Time, Long], Out::Time, period::<'d', false>).args(1, 2),
    f("startofweek", &[Time, Long], Out::Time, period::<'w', false>).args(1, 2),
    f("startofmonth", &[Time, Long], Out::Time, period::<'m', false>).args(1, 2),
    f("startofyear", &[Time, Long], Out::Time, period::<'y', false>).args(1, 2),
    f("endofday", &[Time, Long], Out::Time, period::<'d', true>).args(1, 2),
    f("endofweek", &[Time, Long], Out::Time, period::<'w', true>).args(1, 2),
    f("endofmonth", &[Time, Long], Out::Time, period::<'m', true>).args(1, 2),
    f("endofyear", &[Time, Long], Out::Time, period::<'y', true>).args(1, 2),
    f("make_datetime", &[Long, Long, Long, Long, Long, Real], Out::Time, make_datetime).args(3, 6),
    f("make_timespan", &[Long, Long, Num, Num], Out::Span, make_timespan).args(2, 4),
    f("unixtime_seconds_todatetime", &[Num], Out::Time, unix_seconds),
    f("unixtime_milliseconds_todatetime", &[Num], Out::Time, unix_millis),
    f("unixtime_microseconds_todatetime", &[Num], Out::Time, unix_micros),
    f("unixtime_nanoseconds_todatetime", &[Num], Out::Time, unix_nanos),
    f("format_datetime", &[Time, ConstStr], Out::Str, format_datetime).checked(check_datetime_format),
    f("format_timespan", &[Span, ConstStr], Out::Str, format_timespan).checked(check_timespan_format),
    f("datetime_utc_to_local", &[Time, Str], Out::Time, utc_to_local),
    f("datetime_local_to_utc", &[Time, Str], Out::Time, local_to_utc),
    f("datetime_list_timezones", &[], Out::Dyn, list_timezones),
    f("todatetime_of_string", &[Str], Out::Time, todatetime_of_string).internal(),
    f("totimespan_of_string", &[Str], Out::Span, totimespan_of_string).internal(),
];

/// `todatetime(text)`: every form a `datetime(...)` literal takes (ISO 8601 with `T` or a space,
/// a `Z` or an offset, RFC 822 and RFC 850); other text is null.
fn todatetime_of_string(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(times((0..c.rows).map(|i| {
        kql_parser::ast::DateTime::parse_text(s.get(i)?.trim()).and_then(kql_parser::ast::DateTime::unix_nanos)
    })))
}

/// `totimespan(text)`: Kusto's timespan text (`[-][d.]hh:mm[:ss[.fffffff]]`) and the literal
/// forms (`1.5h`, `15 seconds`); other text is null.
fn totimespan_of_string(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(spans(
        (0..c.rows)
            .map(|i| kql_parser::ast::TimeSpan::parse(s.get(i)?.trim()).and_then(kql_parser::ast::TimeSpan::nanos)),
    ))
}

/// A time zone by its IANA name (`Europe/Paris`, `US/Pacific`, `UTC`), in any case.
pub fn time_zone(name: &str) -> Option<chrono_tz::Tz> {
    let name = name.trim();
    name.parse::<chrono_tz::Tz>()
        .ok()
        .or_else(|| chrono_tz::TZ_VARIANTS.iter().copied().find(|tz| tz.name().eq_ignore_ascii_case(name)))
}

/// The zones of a call at a row: parsed once when the zone is a constant.
fn zones<'a>(c: &'a Call<'_>) -> Result<impl Fn(usize) -> Option<chrono_tz::Tz> + 'a> {
    let names = c.str(1)?;
    let fixed = match &names {
        super::Strs::Const(n) => Some(n.and_then(time_zone)),
        _ => None,
    };
    Ok(move |i: usize| match fixed {
        Some(z) => z,
        None => names.get(i).and_then(time_zone),
    })
}

/// `datetime_utc_to_local(t, zone)`: the wall-clock time in `zone`; an unknown zone is null.
fn utc_to_local(c: &Call<'_>) -> Result<ArrayRef> {
    use chrono::Offset as _;
    use chrono::TimeZone as _;
    let t = c.i64(0)?;
    let zone = zones(c)?;
    Ok(times((0..c.rows).map(|i| {
        let ns = t.get(i)?;
        let tz = zone(i)?;
        let offset = tz.offset_from_utc_datetime(&to_dt(ns).naive_utc()).fix().local_minus_utc();
        ns.checked_add(i64::from(offset) * 1_000_000_000)
    })))
}

/// `datetime_local_to_utc(t, zone)`: the UTC instant of a wall-clock time in `zone`. A time that
/// occurs twice (clocks going back) is its first occurrence; a time that does not occur (clocks
/// going forward) is read with the offset before the change.
fn local_to_utc(c: &Call<'_>) -> Result<ArrayRef> {
    use chrono::Offset as _;
    use chrono::TimeZone as _;
    let t = c.i64(0)?;
    let zone = zones(c)?;
    Ok(times((0..c.rows).map(|i| {
        let ns = t.get(i)?;
        let tz = zone(i)?;
        let local = to_dt(ns).naive_utc();
        let offset = match tz.offset_from_local_datetime(&local) {
            chrono::LocalResult::Single(o) | chrono::LocalResult::Ambiguous(o, _) => o.fix(),
            chrono::LocalResult::None => tz.offset_from_utc_datetime(&(local - chrono::TimeDelta::hours(6))).fix(),
        };
        ns.checked_sub(i64::from(offset.local_minus_utc()) * 1_000_000_000)
    })))
}

fn list_timezones(c: &Call<'_>) -> Result<ArrayRef> {
    let names: Vec<crate::dynamic::Dyn> =
        chrono_tz::TZ_VARIANTS.iter().map(|tz| crate::dynamic::Dyn::String(tz.name().to_owned())).collect();
    Ok(crate::dynamic::arrow::build((0..c.rows.max(1)).map(|_| crate::dynamic::Dyn::Array(names.clone()))))
}

const TICK: i64 = 100;
const DAY: i64 = 86_400_000_000_000;

fn to_dt(ns: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(ns)
}

fn from_naive(d: NaiveDateTime) -> Option<i64> {
    d.and_utc().timestamp_nanos_opt()
}

fn times(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(values.collect::<TimestampNanosecondArray>().with_timezone("UTC"))
}

fn spans(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(values.collect::<DurationNanosecondArray>())
}

const PARTS: &[&str] = &[
    "year",
    "quarter",
    "month",
    "week_of_year",
    "week",
    "day",
    "dayofyear",
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
    "nanosecond",
];

fn check_part(part: &str) -> std::result::Result<(), String> {
    if PARTS.contains(&part.to_ascii_lowercase().as_str()) {
        Ok(())
    } else {
        Err(format!("unknown datetime part '{part}' (one of {})", PARTS.join(", ")))
    }
}

const ADD_PARTS: &[&str] = &[
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
    "nanosecond",
];

fn check_add_part(part: &str) -> std::result::Result<(), String> {
    if ADD_PARTS.contains(&part.to_ascii_lowercase().as_str()) {
        Ok(())
    } else {
        Err(format!("unknown datetime part '{part}' (one of {})", ADD_PARTS.join(", ")))
    }
}

fn part_of(part: &str, ns: i64) -> i32 {
    let d = to_dt(ns);
    let frac = ns.rem_euclid(1_000_000_000);
    match part {
        "year" => d.year(),
        "quarter" => (d.month() as i32 - 1) / 3 + 1,
        "month" => d.month() as i32,
        "week_of_year" | "week" => d.iso_week().week() as i32,
        "day" => d.day() as i32,
        "dayofyear" => d.ordinal() as i32,
        "hour" => d.hour() as i32,
        "minute" => d.minute() as i32,
        "second" => d.second() as i32,
        "millisecond" => (frac / 1_000_000) as i32,
        "microsecond" => (frac / 1_000) as i32,
        _ => frac as i32,
    }
}

fn datetime_part(c: &Call<'_>) -> Result<ArrayRef> {
    let part = c.const_str(0).to_ascii_lowercase();
    let t = c.i64(1)?;
    Ok(ints((0..c.rows).map(|i| t.get(i).map(|ns| part_of(&part, ns)))))
}

fn add_months(ns: i64, months: i64) -> Option<i64> {
    let d = to_dt(ns).naive_utc();
    let m = u32::try_from(months.unsigned_abs()).ok()?;
    let moved = if months >= 0 { d.checked_add_months(Months::new(m))? } else { d.checked_sub_months(Months::new(m))? };
    from_naive(moved)
}

fn datetime_add(c: &Call<'_>) -> Result<ArrayRef> {
    let part = c.const_str(0).to_ascii_lowercase();
    let (n, t) = (c.i64(1)?, c.i64(2)?);
    Ok(times((0..c.rows).map(|i| {
        let (n, ns) = (n.get(i)?, t.get(i)?);
        let unit = match part.as_str() {
            "year" => return add_months(ns, n.checked_mul(12)?),
            "quarter" => return add_months(ns, n.checked_mul(3)?),
            "month" => return add_months(ns, n),
            "week" => 7 * DAY,
            "day" => DAY,
            "hour" => 3_600_000_000_000,
            "minute" => 60_000_000_000,
            "second" => 1_000_000_000,
            "millisecond" => 1_000_000,
            "microsecond" => 1_000,
            _ => 1,
        };
        ns.checked_add(n.checked_mul(unit)?)
    })))
}

fn dayofweek(c: &Call<'_>) -> Result<ArrayRef> {
    let t = c.i64(0)?;
    Ok(spans((0..c.rows).map(|i| t.get(i).map(|ns| i64::from(to_dt(ns).weekday().num_days_from_sunday()) * DAY))))
}

fn week_of_year(c: &Call<'_>) -> Result<ArrayRef> {
    let t = c.i64(0)?;
    Ok(ints((0..c.rows).map(|i| t.get(i).map(|ns| to_dt(ns).iso_week().week() as i32))))
}

fn monthofyear(c: &Call<'_>) -> Result<ArrayRef> {
    let t = c.i64(0)?;
    Ok(ints((0..c.rows).map(|i| t.get(i).map(|ns| to_dt(ns).month() as i32))))
}

/// The start of the period holding `ns`, moved by `offset` periods.
fn start_of(unit: char, ns: i64, offset: i64) -> Option<i64> {
    let d = to_dt(ns).date_naive();
    let start = match unit {
        'd' => d.checked_add_signed(chrono::TimeDelta::days(offset))?,
        'w' => {
            let back = u64::from(d.weekday().num_days_from_sunday());
            let sunday = d.checked_sub_days(Days::new(back))?;
            sunday.checked_add_signed(chrono::TimeDelta::days(offset.checked_mul(7)?))?
        }
        'm' => {
            let first = NaiveDate::from_ymd_opt(d.year(), d.month(), 1)?;
            let m = u32::try_from(offset.unsigned_abs()).ok()?;
            if offset >= 0 {
                first.checked_add_months(Months::new(m))?
            } else {
                first.checked_sub_months(Months::new(m))?
            }
        }
        _ => NaiveDate::from_ymd_opt(d.year().checked_add(i32::try_from(offset).ok()?)?, 1, 1)?,
    };
    from_naive(start.and_hms_opt(0, 0, 0)?)
}

/// `startof<UNIT>(t, offset)` or, with `END`, `endof<UNIT>`: `d`ay, `w`eek, `m`onth, `y`ear.
fn period<const UNIT: char, const END: bool>(c: &Call<'_>) -> Result<ArrayRef> {
    let (t, off) = (c.i64(0)?, c.i64(1)?);
    Ok(times((0..c.rows).map(|i| {
        let ns = t.get(i)?;
        let offset = if c.has(1) { off.get(i)? } else { 0 };
        if END { start_of(UNIT, ns, offset.checked_add(1)?).map(|s| s - TICK) } else { start_of(UNIT, ns, offset) }
    })))
}

/// `make_datetime(year, month, day[, hour, minute, second])`; the second may have a fraction.
/// Values out of range give null.
fn make_datetime(c: &Call<'_>) -> Result<ArrayRef> {
    let parts = (0..5).map(|k| c.i64(k)).collect::<Result<Vec<_>>>()?;
    let second = c.f64(5)?;
    Ok(times((0..c.rows).map(|i| {
        let get = |k: usize| if c.has(k) { parts[k].get(i) } else { Some(0) };
        let date = NaiveDate::from_ymd_opt(
            i32::try_from(get(0)?).ok()?,
            u32::try_from(get(1)?).ok()?,
            u32::try_from(get(2)?).ok()?,
        )?;
        let s = if c.has(5) { second.get(i)? } else { 0.0 };
        if !(0.0..60.0).contains(&s) {
            return None;
        }
        let whole = s.trunc() as u32;
        let nanos = ((s - s.trunc()) * 1e7).round() as u32 * 100;
        let t = date.and_hms_nano_opt(u32::try_from(get(3)?).ok()?, u32::try_from(get(4)?).ok()?, whole, nanos)?;
        from_naive(t)
    })))
}

/// `make_timespan(hours, minutes[, seconds])` or `make_timespan(days, hours, minutes,
/// seconds)`; the seconds may have a fraction.
fn make_timespan(c: &Call<'_>) -> Result<ArrayRef> {
    let parts = (0..c.args.len()).map(|k| c.number(k)).collect::<Result<Vec<_>>>()?;
    Ok(spans((0..c.rows).map(|i| {
        let v = |k: usize| parts[k].get(i);
        // The seconds are the last argument; days come first only in the four-argument form.
        let (days, hours, minutes, seconds) = match parts.len() {
            2 => (0.0, v(0)?, v(1)?, 0.0),
            3 => (0.0, v(0)?, v(1)?, v(2)?),
            _ => (v(0)?, v(1)?, v(2)?, v(3)?),
        };
        let ticks = ((days * 86_400.0 + hours * 3_600.0 + minutes * 60.0 + seconds) * 1e7).round();
        (ticks.is_finite() && ticks.abs() < 9.2e16).then(|| ticks as i64 * TICK)
    })))
}

/// A count of `ns_per_unit` nanoseconds since the Unix epoch, truncated to ticks (100 ns);
/// whole numbers are converted exactly, reals through `f64`. Out of range is null.
fn unix(c: &Call<'_>, ns_per_unit: i64) -> Result<ArrayRef> {
    let whole = matches!(c.args.first(), Some(a) if a.data_type() == datafusion::arrow::datatypes::DataType::Int64);
    if whole {
        let v = c.i64(0)?;
        return Ok(times((0..c.rows).map(|i| {
            let ns = i128::from(v.get(i)?) * i128::from(ns_per_unit);
            i64::try_from(ns / i128::from(TICK) * i128::from(TICK)).ok()
        })));
    }
    let v = c.f64(0)?;
    Ok(times((0..c.rows).map(|i| {
        let ticks = (v.get(i)? * ns_per_unit as f64 / TICK as f64).trunc();
        (ticks.is_finite() && ticks.abs() < 9.2e16).then(|| ticks as i64 * TICK)
    })))
}

fn unix_seconds(c: &Call<'_>) -> Result<ArrayRef> {
    unix(c, 1_000_000_000)
}
fn unix_millis(c: &Call<'_>) -> Result<ArrayRef> {
    unix(c, 1_000_000)
}
fn unix_micros(c: &Call<'_>) -> Result<ArrayRef> {
    unix(c, 1_000)
}
fn unix_nanos(c: &Call<'_>) -> Result<ArrayRef> {
    unix(c, 1)
}

/// One piece of a format: a run of one specifier letter, or literal text.
#[derive(Debug, PartialEq)]
enum Piece {
    Spec(char, usize),
    Lit(String),
}

/// The letters each format knows, and the separators it allows between them.
const DATETIME_SPECS: &str = "dfFhHmMsty";
const TIMESPAN_SPECS: &str = "dfFhHms";
const SEPARATORS: &str = " /-:,._[]";

fn pieces(format: &str, specs: &str) -> std::result::Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = format.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if specs.contains(ch) {
            let mut n = 1;
            while i + n < chars.len() && chars[i + n] == ch {
                n += 1;
            }
            let max = match ch {
                'f' | 'F' => 7,
                'd' if specs == TIMESPAN_SPECS => 8,
                'y' => 4,
                _ => 2,
            };
            if n > max {
                return Err(format!("`{}` is not a format specifier", ch.to_string().repeat(n)));
            }
            out.push(Piece::Spec(ch, n));
            i += n;
        } else if SEPARATORS.contains(ch) {
            out.push(Piece::Lit(ch.to_string()));
            i += 1;
        } else {
            return Err(format!("`{ch}` is neither a format specifier nor a separator ({SEPARATORS:?})"));
        }
    }
    Ok(out)
}

fn check_datetime_format(format: &str) -> std::result::Result<(), String> {
    pieces(format, DATETIME_SPECS).map(|_| ())
}

fn check_timespan_format(format: &str) -> std::result::Result<(), String> {
    pieces(format, TIMESPAN_SPECS).map(|_| ())
}

/// A fraction of a second (in ticks) to `n` digits; `F` drops trailing zeros.
fn fraction(out: &mut String, ticks: i64, n: usize, trim: bool) {
    let mut digits = [b'0'; 7];
    let mut v = ticks.clamp(0, 9_999_999);
    for k in (0..7).rev() {
        digits[k] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let mut part = &digits[..n];
    if trim {
        while let [rest @ .., b'0'] = part {
            part = rest;
        }
    }
    out.extend(part.iter().map(|b| char::from(*b)));
}

/// Appends `v` with at least `width` digits.
fn push_padded(out: &mut String, v: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut n = v;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in len..width {
        out.push('0');
    }
    for k in (0..len).rev() {
        out.push(char::from(digits[k]));
    }
}

fn format_datetime(c: &Call<'_>) -> Result<ArrayRef> {
    let format = pieces(c.const_str(1), DATETIME_SPECS).unwrap_or_default();
    let t = c.i64(0)?;
    Ok(super::strings(c.rows, |i, out| {
        let Some(ns) = t.get(i) else { return };
        let d = to_dt(ns);
        let ticks = ns.rem_euclid(1_000_000_000) / TICK;
        for p in &format {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Spec(ch, n) => {
                    let (v, width) = match ch {
                        'd' => (u64::from(d.day()), *n),
                        'h' => (u64::from((d.hour() + 11) % 12 + 1), *n),
                        'H' => (u64::from(d.hour()), *n),
                        'm' => (u64::from(d.minute()), *n),
                        'M' => (u64::from(d.month()), *n),
                        's' => (u64::from(d.second()), *n),
                        'y' if *n <= 2 => (d.year().rem_euclid(100) as u64, *n),
                        'y' => (d.year().max(0) as u64, *n),
                        't' => {
                            let ampm = if d.hour() < 12 { "AM" } else { "PM" };
                            out.push_str(if *n == 1 { &ampm[..1] } else { ampm });
                            continue;
                        }
                        'f' | 'F' => {
                            fraction(out, ticks, *n, *ch == 'F');
                            continue;
                        }
                        _ => continue,
                    };
                    push_padded(out, v, width);
                }
            }
        }
    }))
}

fn format_timespan(c: &Call<'_>) -> Result<ArrayRef> {
    let format = pieces(c.const_str(1), TIMESPAN_SPECS).unwrap_or_default();
    let t = c.i64(0)?;
    Ok(texts((0..c.rows).map(|i| {
        let ns = t.get(i)?;
        let total = (ns / TICK).unsigned_abs();
        let ticks = (total % 10_000_000) as i64;
        let secs = total / 10_000_000;
        let mut out = String::new();
        if ns < 0 {
            out.push('-');
        }
        for p in &format {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Spec(ch, n) => {
                    let v = match ch {
                        'd' => secs / 86_400,
                        'h' | 'H' => secs / 3600 % 24,
                        'm' => secs / 60 % 60,
                        's' => secs % 60,
                        'f' | 'F' => {
                            fraction(&mut out, ticks, *n, *ch == 'F');
                            continue;
                        }
                        _ => continue,
                    };
                    push_padded(&mut out, v, *n);
                }
            }
        }
        Some(out)
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).map_or(0, |d| d.timestamp_nanos_opt().unwrap_or(0))
    }

    #[test]
    fn periods() {
        let t = ns("2017-01-01T10:10:17Z");
        assert_eq!(start_of('d', t, 1), Some(ns("2017-01-02T00:00:00Z")));
        assert_eq!(start_of('w', t, 0), Some(ns("2017-01-01T00:00:00Z")));
        assert_eq!(start_of('m', t, -1), Some(ns("2016-12-01T00:00:00Z")));
        assert_eq!(start_of('y', t, 1), Some(ns("2018-01-01T00:00:00Z")));
        assert_eq!(add_months(ns("2020-01-31T00:00:00Z"), 1), Some(ns("2020-02-29T00:00:00Z")));
        assert_eq!(part_of("dayofyear", ns("2020-12-31T00:00:00Z")), 366);
        assert_eq!(part_of("week_of_year", ns("2021-01-01T00:00:00Z")), 53);
    }

    #[test]
    fn formats() {
        assert!(pieces("yyyy-MM-dd [HH:mm:ss]", DATETIME_SPECS).is_ok());
        assert!(pieces("yyyy-MM-ddTHH", DATETIME_SPECS).is_err());
        assert!(pieces("ffffffff", DATETIME_SPECS).is_err());
    }
}
