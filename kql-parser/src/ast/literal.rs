//! Literal values: strings, numbers, booleans, datetimes, timespans, GUIDs, dynamic values.

use std::fmt;

/// A literal value. Typed nulls (`long(null)`, `datetime(null)`) are [`Literal::Null`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// A typed null: `long(null)`, `datetime(null)`, ...
    Null(ScalarType),
    /// `true`, `false`, `bool(true)`.
    Bool(bool),
    /// `int(5)`: a 32-bit integer.
    Int(i32),
    /// `5`, `0x1F`, `long(5)`.
    Long(i64),
    /// `1.5`, `1e3`, `real(nan)`.
    Real(Real),
    /// `decimal(1.5)`, kept as its normalised text.
    Decimal(String),
    /// Any string form; adjacent literals are already concatenated.
    String(String),
    /// `datetime(2024-01-01)`.
    DateTime(DateTime),
    /// `5d`, `1.5h`, `timespan(1.02:03:04)`.
    TimeSpan(TimeSpan),
    /// `guid(74be27de-1e4e-49d9-b579-fe0b331d3642)`, lower-case and hyphenated.
    Guid(String),
    /// `dynamic([...])`, `dynamic({...})`, `dynamic(null)`.
    Dynamic(Box<Dynamic>),
}

impl Literal {
    /// The literal's type.
    pub fn scalar_type(&self) -> ScalarType {
        match self {
            Self::Null(t) => *t,
            Self::Bool(_) => ScalarType::Bool,
            Self::Int(_) => ScalarType::Int,
            Self::Long(_) => ScalarType::Long,
            Self::Real(_) => ScalarType::Real,
            Self::Decimal(_) => ScalarType::Decimal,
            Self::String(_) => ScalarType::String,
            Self::DateTime(_) => ScalarType::DateTime,
            Self::TimeSpan(_) => ScalarType::TimeSpan,
            Self::Guid(_) => ScalarType::Guid,
            Self::Dynamic(_) => ScalarType::Dynamic,
        }
    }
}

/// A `real` (64-bit float). Equality is bitwise, so `real(nan)` equals itself.
#[derive(Clone, Copy, Debug)]
pub struct Real(pub f64);

impl PartialEq for Real {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}
impl Eq for Real {}

/// The KQL scalar types (spec §3), with their canonical names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// `bool` (alias `boolean`)
    Bool,
    /// `int` (32-bit)
    Int,
    /// `long` (64-bit)
    Long,
    /// `real` (alias `double`)
    Real,
    /// `decimal` (128-bit)
    Decimal,
    /// `string`
    String,
    /// `datetime` (alias `date`)
    DateTime,
    /// `timespan` (alias `time`)
    TimeSpan,
    /// `guid` (aliases `uuid`, `uniqueid`)
    Guid,
    /// `dynamic`
    Dynamic,
}

impl ScalarType {
    /// Looks a type name up, aliases included.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "bool" | "boolean" => Self::Bool,
            "int" => Self::Int,
            "long" => Self::Long,
            "real" | "double" => Self::Real,
            "decimal" => Self::Decimal,
            "string" => Self::String,
            "datetime" | "date" => Self::DateTime,
            "timespan" | "time" => Self::TimeSpan,
            "guid" | "uuid" | "uniqueid" => Self::Guid,
            "dynamic" => Self::Dynamic,
            _ => return None,
        })
    }

    /// The canonical name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Bool => "bool",
            Self::Int => "int",
            Self::Long => "long",
            Self::Real => "real",
            Self::Decimal => "decimal",
            Self::String => "string",
            Self::DateTime => "datetime",
            Self::TimeSpan => "timespan",
            Self::Guid => "guid",
            Self::Dynamic => "dynamic",
        }
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Ticks (100 ns) per unit.
pub(crate) const TICKS_PER_MICROSECOND: i64 = 10;
pub(crate) const TICKS_PER_MILLISECOND: i64 = 10_000;
pub(crate) const TICKS_PER_SECOND: i64 = 10_000_000;
pub(crate) const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
pub(crate) const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
pub(crate) const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// A point in time, UTC, in Kusto's resolution: 100 ns ticks since `0001-01-01T00:00:00Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    ticks: i64,
}

impl DateTime {
    /// Ticks from `0001-01-01` to the Unix epoch.
    pub const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;
    /// The largest valid value, `9999-12-31T23:59:59.9999999Z`.
    pub const MAX_TICKS: i64 = 3_155_378_975_999_999_999;

    /// A datetime from ticks since `0001-01-01`. `None` outside years 1 to 9999.
    pub const fn from_ticks(ticks: i64) -> Option<Self> {
        if ticks < 0 || ticks > Self::MAX_TICKS { None } else { Some(Self { ticks }) }
    }

    /// Ticks (100 ns) since `0001-01-01T00:00:00Z`.
    pub const fn ticks(self) -> i64 {
        self.ticks
    }

    /// Nanoseconds since the Unix epoch, or `None` when that does not fit in an `i64`
    /// (before 1677 or after 2262).
    pub const fn unix_nanos(self) -> Option<i64> {
        (self.ticks - Self::UNIX_EPOCH_TICKS).checked_mul(100)
    }

    /// Microseconds since the Unix epoch (always fits).
    pub const fn unix_micros(self) -> i64 {
        (self.ticks - Self::UNIX_EPOCH_TICKS).div_euclid(TICKS_PER_MICROSECOND)
    }

    /// A datetime from nanoseconds since the Unix epoch, truncated to a tick.
    pub fn from_unix_nanos(nanos: i64) -> Option<Self> {
        Self::from_ticks(nanos.div_euclid(100).checked_add(Self::UNIX_EPOCH_TICKS)?)
    }

    /// Parses the text of a `datetime(...)` literal: ISO 8601 (with `T` or a space, optional
    /// `Z` or UTC offset, which is converted to UTC), RFC 822 and RFC 850 forms.
    pub fn parse(text: &str) -> Option<Self> {
        crate::time::parse_datetime(text)
    }

    /// Parses text converted to a datetime (`todatetime()`, typed `parse` and `externaldata`
    /// columns): the literal forms, and the US form `M/d/yyyy[ h:mm[:ss[.f]][ AM|PM]]` that
    /// Kusto's documentation shows converted (`02/17/2016 08:40:01`).
    pub fn parse_text(text: &str) -> Option<Self> {
        crate::time::parse_datetime(text).or_else(|| crate::time::parse_us(text))
    }

    fn to_chrono(self) -> Option<chrono::NaiveDateTime> {
        let since_epoch = self.ticks - Self::UNIX_EPOCH_TICKS;
        let secs = since_epoch.div_euclid(TICKS_PER_SECOND);
        let nanos = u32::try_from(since_epoch.rem_euclid(TICKS_PER_SECOND) * 100).ok()?;
        chrono::DateTime::from_timestamp(secs, nanos).map(|d| d.naive_utc())
    }
}

impl fmt::Display for DateTime {
    /// ISO 8601 with a `Z`; the fraction is printed only when non-zero, without trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(dt) = self.to_chrono() else {
            return write!(f, "<invalid datetime {} ticks>", self.ticks);
        };
        write!(f, "{}", dt.format("%Y-%m-%dT%H:%M:%S"))?;
        let frac = self.ticks.rem_euclid(TICKS_PER_SECOND);
        if frac != 0 {
            let digits = format!("{frac:07}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

/// A duration in 100 ns ticks, as Kusto stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeSpan {
    ticks: i64,
}

impl TimeSpan {
    /// A timespan of `ticks` × 100 ns.
    pub const fn from_ticks(ticks: i64) -> Self {
        Self { ticks }
    }

    /// The length in ticks (100 ns).
    pub const fn ticks(self) -> i64 {
        self.ticks
    }

    /// The length in nanoseconds, or `None` on overflow (beyond about 292 years).
    pub const fn nanos(self) -> Option<i64> {
        self.ticks.checked_mul(100)
    }

    /// Parses the text of a `timespan(...)`/`time(...)` literal: `1.5h`, `15 seconds`,
    /// `[-][d.]hh:mm[:ss[.fffffff]]`, or a bare number of days.
    pub fn parse(text: &str) -> Option<Self> {
        crate::time::parse_timespan_goo(text)
    }

    /// Kusto's own rendering, `[-][d.]hh:mm:ss[.fffffff]`, as `tostring()` prints it.
    pub fn to_kusto_string(self) -> String {
        let neg = self.ticks < 0;
        let t = self.ticks.unsigned_abs();
        let day = TICKS_PER_DAY.unsigned_abs();
        let (days, rem) = (t / day, t % day);
        let hours = rem / TICKS_PER_HOUR.unsigned_abs();
        let mins = rem % TICKS_PER_HOUR.unsigned_abs() / TICKS_PER_MINUTE.unsigned_abs();
        let secs = rem % TICKS_PER_MINUTE.unsigned_abs() / TICKS_PER_SECOND.unsigned_abs();
        let frac = rem % TICKS_PER_SECOND.unsigned_abs();
        let mut s = String::new();
        if neg {
            s.push('-');
        }
        if days > 0 {
            s.push_str(&format!("{days}."));
        }
        s.push_str(&format!("{hours:02}:{mins:02}:{secs:02}"));
        if frac > 0 {
            s.push_str(&format!(".{frac:07}"));
        }
        s
    }
}

impl fmt::Display for TimeSpan {
    /// The shortest unit literal that is exact: `5d`, `90m`, `1500ms`, `3tick`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.ticks;
        if t < 0 {
            // A unit literal is never negative (a minus sign is an operator), so a negative
            // value (only from `timespan(-...)`) keeps the literal form.
            return write!(f, "timespan({})", self.to_kusto_string());
        }
        const UNITS: [(i64, &str); 6] = [
            (TICKS_PER_DAY, "d"),
            (TICKS_PER_HOUR, "h"),
            (TICKS_PER_MINUTE, "m"),
            (TICKS_PER_SECOND, "s"),
            (TICKS_PER_MILLISECOND, "ms"),
            (TICKS_PER_MICROSECOND, "microseconds"),
        ];
        if t == 0 {
            return f.write_str("0s");
        }
        for (per, unit) in UNITS {
            if t % per == 0 {
                return write!(f, "{}{unit}", t / per);
            }
        }
        write!(f, "{t}tick")
    }
}

/// A `dynamic` literal value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dynamic {
    /// `null`
    Null,
    /// A scalar: number, string, bool, datetime, timespan, guid.
    Scalar(Literal),
    /// `[a, b, ...]`
    Array(Vec<Self>),
    /// `{"key": value, ...}`, in written order.
    Object(Vec<(String, Self)>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_round_trips_through_display() {
        for text in [
            "2024-01-01T00:00:00Z",
            "2015-12-31T23:59:59.9Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.9999999Z",
            "1969-12-31T23:59:59.1234567Z",
        ] {
            let d = DateTime::parse(text).unwrap();
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(DateTime::parse("1970-01-01").unwrap().unix_nanos(), Some(0));
        assert_eq!(DateTime::parse("1969-12-31T23:59:59.9999999Z").unwrap().unix_micros(), -1);
    }

    #[test]
    fn timespan_display_picks_exact_unit() {
        assert_eq!(TimeSpan::from_ticks(5 * TICKS_PER_DAY).to_string(), "5d");
        assert_eq!(TimeSpan::from_ticks(90 * TICKS_PER_MINUTE).to_string(), "90m");
        assert_eq!(TimeSpan::from_ticks(1500 * TICKS_PER_MILLISECOND).to_string(), "1500ms");
        assert_eq!(TimeSpan::from_ticks(3).to_string(), "3tick");
        assert_eq!(TimeSpan::from_ticks(0).to_string(), "0s");
        assert_eq!(TimeSpan::from_ticks(-TICKS_PER_DAY).to_string(), "timespan(-1.00:00:00)");
        assert_eq!(
            TimeSpan::from_ticks(TICKS_PER_DAY + 2 * TICKS_PER_HOUR + 5).to_kusto_string(),
            "1.02:00:00.0000005"
        );
    }
}
