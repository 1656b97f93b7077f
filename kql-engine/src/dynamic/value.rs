//! A `dynamic` value materialised: Kusto's value kinds, parsed from JSON text and rendered back
//! the way Kusto prints it.
//!
//! Only functions that need a whole value (bag and array functions, `make_bag`, `tostring` of a
//! bag) build one; member access reads the text lazily (`path.rs`).

use std::fmt::Write as _;

use indexmap::IndexMap;
use jiter::{Jiter, NumberAny, NumberInt, Peek};

use crate::functions::tostring::format_real;

/// Nesting deeper than this is not JSON we read: the text is a string value, as any other text
/// that does not parse.
const MAX_DEPTH: usize = 200;

/// A `dynamic` value.
#[derive(Clone, Debug, PartialEq)]
pub enum Dyn {
    /// `dynamic(null)`, JSON `null`, or a missing key or index.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer (Kusto's `int` when it fits 32 bits, else `long`).
    Long(i64),
    /// A number with a fraction or an exponent (Kusto's `real`).
    Real(f64),
    /// A string (datetimes, timespans and GUIDs inside a `dynamic` are strings too).
    String(String),
    /// An array.
    Array(Vec<Self>),
    /// A property bag, in insertion order (a repeated key keeps its first place and its last
    /// value).
    Bag(IndexMap<String, Self>),
}

impl Dyn {
    /// Reads JSON text. Empty text is null; text that is not a JSON value (or has trailing
    /// garbage) is the string it holds, exactly as Kusto's `parse_json` keeps it.
    pub fn parse(text: &[u8]) -> Self {
        if text.is_empty() {
            return Self::Null;
        }
        Self::parse_strict(text).unwrap_or_else(|| Self::String(String::from_utf8_lossy(text).into_owned()))
    }

    /// Reads JSON text; `None` when it is not exactly one JSON value.
    pub fn parse_strict(text: &[u8]) -> Option<Self> {
        let mut j = Jiter::new(text);
        let peek = j.peek().ok()?;
        let v = read(&mut j, peek, 0)?;
        j.finish().ok()?;
        Some(v)
    }

    /// Kusto's name for the kind of this value, as `gettype` returns it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "bool",
            Self::Long(v) if i32::try_from(*v).is_ok() => "int",
            Self::Long(_) => "long",
            Self::Real(_) => "real",
            Self::String(_) => "string",
            Self::Array(_) => "array",
            Self::Bag(_) => "dictionary",
        }
    }

    /// The compact JSON text Kusto prints for this value.
    pub fn to_json(&self) -> String {
        let mut s = String::new();
        self.write_json(&mut s);
        s
    }

    /// Appends the compact JSON text of this value.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Long(v) => {
                let _ = write!(out, "{v}");
            }
            Self::Real(v) => {
                if v.is_finite() {
                    out.push_str(&format_real(*v));
                } else {
                    // JSON has no NaN or infinity: Kusto writes them as strings.
                    write_json_string(&format_real(*v), out);
                }
            }
            Self::String(s) => write_json_string(s, out),
            Self::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Self::Bag(map) => {
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(k, out);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }

    /// `tostring()` of this value: a string as it is, null as `""`, anything else its JSON.
    pub fn to_text(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::String(s) => s.clone(),
            other => other.to_json(),
        }
    }

    /// Whether this is the null value.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The value as a number, when it is one (or a string that reads as one, the way Kusto
    /// compares a `dynamic` with a number).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Long(v) => Some(*v as f64),
            Self::Real(v) => Some(*v),
            Self::Bool(b) => Some(f64::from(u8::from(*b))),
            Self::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
    }

    /// The value as a `serde_json` value (for JSON output), in Kusto's rendering.
    pub fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Long(v) => Value::from(*v),
            Self::Real(v) => {
                // Whole reals print without a fraction, as Kusto prints them.
                if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Value::from(*v as i64)
                } else {
                    serde_json::Number::from_f64(*v).map_or_else(|| Value::String(format_real(*v)), Value::Number)
                }
            }
            Self::String(s) => Value::String(s.clone()),
            Self::Array(items) => Value::Array(items.iter().map(Self::to_serde).collect()),
            Self::Bag(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), v.to_serde())).collect()),
        }
    }

    /// A key usable for equality and hashing of whole values (sets, `distinct`): the JSON text.
    pub fn key(&self) -> String {
        self.to_json()
    }
}

/// A JSON string literal, escaped as Kusto (Json.NET) writes it: quotes, backslashes and
/// control characters escaped, everything else as it is.
pub fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Reads the value `peek` announced.
fn read(j: &mut Jiter<'_>, peek: Peek, depth: usize) -> Option<Dyn> {
    if depth > MAX_DEPTH {
        return None;
    }
    Some(match peek {
        Peek::Null => {
            j.known_null().ok()?;
            Dyn::Null
        }
        Peek::True | Peek::False => Dyn::Bool(j.known_bool(peek).ok()?),
        Peek::String => Dyn::String(j.known_str().ok()?.to_owned()),
        Peek::Array => {
            let mut items = Vec::new();
            let mut next = j.known_array().ok()?;
            while let Some(p) = next {
                items.push(read(j, p, depth + 1)?);
                next = j.array_step().ok()?;
            }
            Dyn::Array(items)
        }
        Peek::Object => {
            let mut map = IndexMap::new();
            let mut key = j.known_object().ok()?.map(str::to_owned);
            while let Some(k) = key {
                let p = j.peek().ok()?;
                let v = read(j, p, depth + 1)?;
                map.insert(k, v);
                key = j.next_key().ok()?.map(str::to_owned);
            }
            Dyn::Bag(map)
        }
        p if p.is_num() => number(j.known_number(p).ok()?),
        _ => return None,
    })
}

fn number(n: NumberAny) -> Dyn {
    match n {
        NumberAny::Int(NumberInt::Int(v)) => Dyn::Long(v),
        NumberAny::Int(other) => Dyn::Real(f64::from(other)),
        NumberAny::Float(f) => Dyn::Real(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(text: &str) -> String {
        Dyn::parse(text.as_bytes()).to_json()
    }

    #[test]
    fn parses_and_renders_like_kusto() {
        assert_eq!(round(r#"{ "b" : 1, "a":[1, 2.5, "x", null, true] }"#), r#"{"b":1,"a":[1,2.5,"x",null,true]}"#);
        // Reals keep their kind but print without a fraction when whole (parse_json docs).
        assert_eq!(Dyn::parse(b"118.0"), Dyn::Real(118.0));
        assert_eq!(round("118.0"), "118");
        assert_eq!(round("1e3"), "1000");
        assert_eq!(Dyn::parse(b"1").type_name(), "int");
        assert_eq!(Dyn::parse(b"12345678901").type_name(), "long");
        assert_eq!(Dyn::parse(b"123456789012345678901234567890").type_name(), "real");
        // A repeated key keeps its first place and its last value.
        assert_eq!(round(r#"{"a":1,"b":2,"a":3}"#), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn text_that_is_not_json_is_a_string() {
        assert_eq!(Dyn::parse(b"hello world"), Dyn::String("hello world".into()));
        assert_eq!(Dyn::parse(b"{\"a\":1} trailing"), Dyn::String("{\"a\":1} trailing".into()));
        assert_eq!(Dyn::parse(b"{'a':1}"), Dyn::String("{'a':1}".into()));
        assert_eq!(Dyn::parse(b""), Dyn::Null);
        let deep = "[".repeat(5000);
        assert_eq!(Dyn::parse(deep.as_bytes()), Dyn::String(deep.clone()));
    }

    #[test]
    fn strings_escape_as_json_net_does() {
        let mut s = String::new();
        write_json_string("a\"b\\c\nd\u{1}é", &mut s);
        assert_eq!(s, "\"a\\\"b\\\\c\\nd\\u0001é\"");
        assert_eq!(Dyn::parse(br#""\u00e9\n""#), Dyn::String("é\n".into()));
    }
}
