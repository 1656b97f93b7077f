//! String functions without regular expressions: `reverse`, `strcmp`, `string_size`,
//! `strcat_delim`, `strrep`, `translate`, `indexof`, `countof` (plain), `isascii`, `isutf8`,
//! `has_any_index`, `unicode_codepoints_*`, `parse_version`, `format_bytes`.
//!
//! Positions and lengths count characters (Unicode scalar values), as Kusto's do for the
//! strings hunts hold; `string_size` counts UTF-8 bytes (the documentation's `"⒦⒰⒮⒯⒪"` is 15).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Decimal128Array};
use datafusion::common::Result;

use super::Param::{ConstStr, Dyn, Long, Real, Str, StrOrList, Text};
use super::{Call, Def, Out, bools, f, longs, strings, texts};
use crate::dynamic::Dyn as Value;
use crate::functions::term::{TermKind, TermMatcher};

/// The string functions.
pub static FUNCTIONS: &[Def] = &[
    f("reverse", &[Text], Out::Str, reverse),
    f("strcmp", &[Text, Text], Out::Long, strcmp),
    f("string_size", &[Str], Out::Long, string_size),
    f("strcat_delim", &[Text, Text], Out::Str, strcat_delim).args(3, 65),
    f("strrep", &[Text, Long, Text], Out::Str, strrep).args(2, 3),
    f("translate", &[Str, Str, Str], Out::Str, translate),
    f("indexof", &[Text, Text, Long, Long, Long], Out::Long, indexof).args(2, 5),
    f("countof", &[Str, Str, ConstStr], Out::Long, countof).args(2, 3).checked(check_countof_kind),
    f("isascii", &[Text], Out::Bool, isascii),
    f("isutf8", &[Text], Out::Bool, isutf8),
    f("has_any_index", &[Str, StrOrList], Out::Long, has_any_index),
    f("unicode_codepoints_from_string", &[Text], Out::Dyn, codepoints_from_string).aka(&["to_utf8"]),
    f("unicode_codepoints_to_string", &[Dyn], Out::Str, codepoints_to_string).aka(&["make_string"]).args(1, 64),
    f("parse_version", &[Str], Out::Decimal, parse_version),
    f("format_bytes", &[Real, Long, Str], Out::Str, format_bytes).args(1, 3),
    f("tobool_of_string", &[Str], Out::Bool, tobool_of_string).internal(),
];

/// `tobool(string)`: `true`/`false` in any case (and `1`/`0`, as `bool(1)` is written), spaces
/// around them ignored; any other text is null.
fn tobool_of_string(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(bools((0..c.rows).map(|i| {
        let t = s.text(i).trim();
        if t.eq_ignore_ascii_case("true") || t == "1" {
            Some(true)
        } else if t.eq_ignore_ascii_case("false") || t == "0" {
            Some(false)
        } else {
            None
        }
    })))
}

fn reverse(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(strings(c.rows, |i, out| out.extend(s.text(i).chars().rev())))
}

fn strcmp(c: &Call<'_>) -> Result<ArrayRef> {
    let (a, b) = (c.str(0)?, c.str(1)?);
    Ok(longs((0..c.rows).map(|i| Some(a.text(i).cmp(b.text(i)) as i64))))
}

fn string_size(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(longs((0..c.rows).map(|i| i64::try_from(s.text(i).len()).ok())))
}

fn strcat_delim(c: &Call<'_>) -> Result<ArrayRef> {
    let delim = c.str(0)?;
    let parts = (1..c.args.len()).map(|a| c.str(a)).collect::<Result<Vec<_>>>()?;
    Ok(strings(c.rows, |i, out| {
        for (k, p) in parts.iter().enumerate() {
            if k > 0 {
                out.push_str(delim.text(i));
            }
            out.push_str(p.text(i));
        }
    }))
}

/// At most this many repetitions (Kusto's documented cap).
const MAX_REPEAT: i64 = 1024;

fn strrep(c: &Call<'_>) -> Result<ArrayRef> {
    let (s, n, d) = (c.str(0)?, c.i64(1)?, c.str(2)?);
    Ok(strings(c.rows, |i, out| {
        let times = n.get(i).unwrap_or(0).clamp(0, MAX_REPEAT);
        for k in 0..times {
            if k > 0 {
                out.push_str(d.text(i));
            }
            out.push_str(s.text(i));
        }
    }))
}

/// `translate(search, replace, source)`: each character of `search` becomes the character at
/// the same place in `replace` (its last character when `replace` is shorter); an empty
/// `replace` removes them.
fn translate(c: &Call<'_>) -> Result<ArrayRef> {
    let (from, to, source) = (c.str(0)?, c.str(1)?, c.str(2)?);
    Ok(strings(c.rows, |i, out| {
        let from: Vec<char> = from.text(i).chars().collect();
        let to: Vec<char> = to.text(i).chars().collect();
        for ch in source.text(i).chars() {
            match from.iter().position(|x| *x == ch) {
                None => out.push(ch),
                Some(_) if to.is_empty() => {}
                Some(k) => out.push(to[k.min(to.len() - 1)]),
            }
        }
    }))
}

/// `indexof(source, lookup, start, length, occurrence)`, by the documentation's examples: a
/// negative `start` counts from the end; each occurrence is searched in a window of `length`
/// characters that starts at `start` and, for later occurrences, one after the previous match.
/// Null when `length < -1` or `occurrence < 0`.
fn indexof(c: &Call<'_>) -> Result<ArrayRef> {
    let (s, m, start, len, occ) = (c.str(0)?, c.str(1)?, c.i64(2)?, c.i64(3)?, c.i64(4)?);
    Ok(longs((0..c.rows).map(|i| {
        let start = if c.has(2) { start.get(i)? } else { 0 };
        let len = if c.has(3) { len.get(i)? } else { -1 };
        let occ = if c.has(4) { occ.get(i)? } else { 1 };
        if len < -1 || occ < 0 {
            return None;
        }
        Some(index_of(s.text(i), m.text(i), start, len, occ))
    })))
}

fn index_of(source: &str, lookup: &str, start: i64, len: i64, occ: i64) -> i64 {
    let hay: Vec<char> = source.chars().collect();
    let needle: Vec<char> = lookup.chars().collect();
    let n = i64::try_from(hay.len()).unwrap_or(i64::MAX);
    let mut pos = if start < 0 { (n + start).max(0) } else { start };
    if pos > n || occ == 0 {
        return -1;
    }
    for k in 1..=occ {
        let end = if len < 0 { n } else { pos.saturating_add(len).min(n) };
        let found = find_chars(&hay, &needle, pos as usize, end as usize);
        match found {
            None => return -1,
            Some(at) if k == occ => return at as i64,
            Some(at) => pos = at as i64 + 1,
        }
    }
    -1
}

fn find_chars(hay: &[char], needle: &[char], from: usize, to: usize) -> Option<usize> {
    if from > to {
        return None;
    }
    if needle.is_empty() {
        return Some(from);
    }
    (from..to).find(|&p| p + needle.len() <= to && hay[p..p + needle.len()] == *needle)
}

fn check_countof_kind(kind: &str) -> std::result::Result<(), String> {
    if matches!(kind, "normal" | "regex") {
        Ok(())
    } else {
        Err(format!("the kind of countof() is 'normal' or 'regex', not '{kind}'"))
    }
}

/// `countof(text, search)`: occurrences of `search`, overlapping ones included (the
/// documentation's `countof("aaa", "aa")` is 2). The `regex` kind is planned as
/// `countof_regex` (non-overlapping matches).
fn countof(c: &Call<'_>) -> Result<ArrayRef> {
    let (s, m) = (c.str(0)?, c.str(1)?);
    Ok(longs((0..c.rows).map(|i| {
        let (hay, needle) = (s.text(i), m.text(i));
        if needle.is_empty() {
            return Some(0);
        }
        let mut count = 0;
        let mut from = 0;
        while let Some(at) = hay[from..].find(needle) {
            count += 1;
            from += at + needle.chars().next().map_or(1, char::len_utf8);
        }
        Some(count)
    })))
}

fn isascii(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(bools((0..c.rows).map(|i| Some(s.text(i).is_ascii()))))
}

/// Arrow strings are valid UTF-8 by construction (binary columns read as text had invalid
/// bytes replaced), so every string is.
fn isutf8(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(bools((0..c.rows).map(|_| Some(true))))
}

/// `has_any_index(source, values)`: the index of the first value that `source` `has`, or -1.
fn has_any_index(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    let constant = matches!(c.args[1], datafusion::logical_expr::ColumnarValue::Scalar(_));
    let compile = |items: &[String]| -> Vec<TermMatcher> {
        items.iter().map(|t| TermMatcher::new(std::slice::from_ref(t), TermKind::Has, false)).collect()
    };
    let fixed = if constant { Some(compile(&c.list_at(1, 0)?)) } else { None };
    let mut out = Vec::with_capacity(c.rows);
    for i in 0..c.rows {
        let own;
        let matchers = match &fixed {
            Some(m) => m,
            None => {
                own = compile(&c.list_at(1, i)?);
                &own
            }
        };
        let text = s.text(i);
        out.push(Some(matchers.iter().position(|m| m.any(text)).map_or(-1, |p| p as i64)));
    }
    Ok(longs(out.into_iter()))
}

fn codepoints_from_string(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(crate::dynamic::arrow::build(
        (0..c.rows).map(|i| Value::Array(s.text(i).chars().map(|ch| Value::Long(i64::from(u32::from(ch)))).collect())),
    ))
}

/// `unicode_codepoints_to_string(n1, n2, ...)` or of one array; a value that is not a code
/// point makes the result `""`.
fn codepoints_to_string(c: &Call<'_>) -> Result<ArrayRef> {
    let arrays = (0..c.args.len()).map(|a| c.array(a)).collect::<Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(c.rows);
    for i in 0..c.rows {
        let mut text = String::new();
        let mut ok = true;
        for a in &arrays {
            let v = crate::dynamic::arrow::to_dyn(a.as_ref(), i)?;
            let items = match v {
                Value::Array(items) => items,
                v => vec![v],
            };
            for item in items {
                match crate::functions::dynamic::convert::to_long(&item)
                    .and_then(|n| u32::try_from(n).ok())
                    .and_then(char::from_u32)
                {
                    Some(ch) => text.push(ch),
                    None => ok = false,
                }
            }
        }
        out.push(ok.then_some(text));
    }
    Ok(texts(out.into_iter()))
}

/// `parse_version("1.2.3.4")`: up to four parts of up to eight digits, as one decimal with eight
/// digits per part (`1.2` is `1.2.0.0`); anything else is null.
fn parse_version(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    let values: Decimal128Array = (0..c.rows).map(|i| version(s.text(i))).collect();
    Ok(Arc::new(values.with_precision_and_scale(38, 0)?))
}

fn version(text: &str) -> Option<i128> {
    let parts: Vec<&str> = text.trim().split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut out: i128 = 0;
    for k in 0..4 {
        let v: i128 = match parts.get(k) {
            Some(p) if !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
            None => 0,
        };
        out = out * 100_000_000 + v;
    }
    Some(out)
}

const UNITS: [&str; 7] = ["Bytes", "KB", "MB", "GB", "TB", "PB", "EB"];

/// `format_bytes(size, precision, units)`: powers of 1024; without units the largest unit the
/// size reaches.
fn format_bytes(c: &Call<'_>) -> Result<ArrayRef> {
    let (size, precision, units) = (c.f64(0)?, c.i64(1)?, c.str(2)?);
    Ok(texts((0..c.rows).map(|i| {
        let v = size.get(i)?;
        let p = if c.has(1) { precision.get(i)?.clamp(0, 15) as usize } else { 0 };
        let wanted = units.text(i);
        let unit = if wanted.is_empty() {
            let mut u = 0;
            while u + 1 < UNITS.len() && v.abs() >= 1024f64.powi(u as i32 + 1) {
                u += 1;
            }
            u
        } else {
            UNITS.iter().position(|x| x.eq_ignore_ascii_case(wanted))?
        };
        let scaled = v / 1024f64.powi(unit as i32);
        Some(format!("{:.*} {}", p, round_half_away(scaled, p), UNITS[unit]))
    })))
}

/// Rounds half away from zero at `digits` decimals (.NET's `Math.Round` with
/// `MidpointRounding.AwayFromZero`, which Kusto's `round` uses too).
fn round_half_away(v: f64, digits: usize) -> f64 {
    let scale = 10f64.powi(digits as i32);
    (v * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexof_examples() {
        assert_eq!(index_of("abcdefg", "cde", 0, -1, 1), 2);
        assert_eq!(index_of("abcdefg", "cde", 1, 4, 1), 2);
        assert_eq!(index_of("abcdefg", "cde", 1, 2, 1), -1);
        assert_eq!(index_of("abcdefg", "cde", 3, 4, 1), -1);
        assert_eq!(index_of("abcdefg", "cde", -5, -1, 1), 2);
        assert_eq!(index_of("1234567", "5", 1, 4, 1), 4);
        assert_eq!(index_of("abcdefgabcdefg", "cde", 1, 10, 2), 9);
        assert_eq!(index_of("abcdefgabcdefg", "cde", 1, -1, 3), -1);
    }

    #[test]
    fn versions() {
        assert_eq!(version("1.2.3.4"), Some(1_000_000_020_000_000_300_000_004));
        assert_eq!(version("0.0.0.1"), Some(1));
        assert_eq!(version("1.2.3.4.5"), None);
        assert_eq!(version("1.x"), None);
    }
}
