//! Functions of a regular expression: `replace_regex`, `replace` (deprecated), `countof(...,
//! 'regex')`, `indexof_regex`, `extract_all` / `extractall`, `regex_quote`.
//!
//! The expression is a constant, compiled once when the query is planned (an invalid one is a
//! located error then). Kusto's expressions are RE2's syntax, which Rust's `regex` crate
//! follows; a rewrite refers to groups as `\1` (and `\0` for the whole match), converted here.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::{Result, exec_err};

use super::Param::{Dyn, Long, Regex, Str, Text};
use super::{Call, Def, Out, f, longs, strings};
use crate::dynamic::Dyn as Value;

/// The regular-expression functions.
pub static FUNCTIONS: &[Def] = &[
    f("replace_regex", &[Str, Regex, Str], Out::Str, replace_regex),
    f("replace", &[Regex, Str, Str], Out::Str, replace_deprecated),
    f("countof_regex", &[Str, Regex], Out::Long, countof_regex).internal(),
    f("indexof_regex", &[Text, Regex, Long, Long, Long], Out::Long, indexof_regex).args(2, 5),
    f("extract_all", &[Regex, Dyn, Str], Out::Dyn, extract_all).args(2, 3).aka(&["extractall"]),
    f("extract_all_of_source", &[Regex, Str], Out::Dyn, extract_all).internal(),
    f("regex_quote", &[Text], Out::Str, regex_quote),
];

fn compiled<'a>(c: &'a Call<'_>) -> Result<&'a ::regex::Regex> {
    match c.regex {
        Some(r) => Ok(r),
        None => exec_err!("the regular expression was not compiled"),
    }
}

/// Kusto's rewrite (`\1`, `\0`) as the `regex` crate's (`${1}`); a literal `$` is kept.
pub fn rewrite(kusto: &str) -> String {
    let mut out = String::with_capacity(kusto.len() + 4);
    let mut chars = kusto.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    n.push(d);
                    chars.next();
                }
                out.push_str("${");
                out.push_str(&n);
                out.push('}');
            }
            '$' => out.push_str("$$"),
            _ => out.push(ch),
        }
    }
    out
}

fn replace_with(c: &Call<'_>, source: usize, with: usize) -> Result<ArrayRef> {
    let re = compiled(c)?;
    let (s, w) = (c.str(source)?, c.str(with)?);
    let constant = matches!(c.args[with], datafusion::logical_expr::ColumnarValue::Scalar(_));
    let fixed = constant.then(|| rewrite(w.text(0)));
    Ok(strings(c.rows, |i, out| {
        let own;
        let rep = match &fixed {
            Some(r) => r.as_str(),
            None => {
                own = rewrite(w.text(i));
                own.as_str()
            }
        };
        out.push_str(&re.replace_all(s.text(i), rep));
    }))
}

fn replace_regex(c: &Call<'_>) -> Result<ArrayRef> {
    replace_with(c, 0, 2)
}

fn replace_deprecated(c: &Call<'_>) -> Result<ArrayRef> {
    replace_with(c, 2, 1)
}

fn countof_regex(c: &Call<'_>) -> Result<ArrayRef> {
    let re = compiled(c)?;
    let s = c.str(0)?;
    Ok(longs((0..c.rows).map(|i| Some(re.find_iter(s.text(i)).count() as i64))))
}

/// `indexof_regex(source, regex, start, length, occurrence)`: the character index of the
/// `occurrence`-th match in the `length` characters from `start` (-1 when none); null when
/// `start < 0`, `length < -1` or `occurrence <= 0`, as documented.
fn indexof_regex(c: &Call<'_>) -> Result<ArrayRef> {
    let re = compiled(c)?;
    let (s, start, len, occ) = (c.str(0)?, c.i64(2)?, c.i64(3)?, c.i64(4)?);
    Ok(longs((0..c.rows).map(|i| {
        let start = if c.has(2) { start.get(i)? } else { 0 };
        let len = if c.has(3) { len.get(i)? } else { -1 };
        let occ = if c.has(4) { occ.get(i)? } else { 1 };
        if start < 0 || len < -1 || occ <= 0 {
            return None;
        }
        Some(regex_index(re, s.text(i), start, len, occ))
    })))
}

fn regex_index(re: &::regex::Regex, text: &str, start: i64, len: i64, occ: i64) -> i64 {
    let chars: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    let n = chars.len() as i64;
    if start > n {
        return -1;
    }
    let end = if len < 0 { n } else { (start + len).min(n) };
    let byte = |k: i64| chars.get(k as usize).copied().unwrap_or(text.len());
    let window = &text[byte(start)..byte(end)];
    match re.find_iter(window).nth(occ as usize - 1) {
        Some(m) => start + window[..m.start()].chars().count() as i64,
        None => -1,
    }
}

/// `extract_all(regex, [groups,] source)`: every match; each match is the text of its one
/// capture group, or an array of the chosen (or all) groups' texts. No match is null.
fn extract_all(c: &Call<'_>) -> Result<ArrayRef> {
    let re = compiled(c)?;
    let (source_at, groups_at) = if c.args.len() == 3 { (2, Some(1)) } else { (1, None) };
    let s = c.str(source_at)?;
    let groups: Option<Vec<usize>> = match groups_at {
        None => None,
        Some(g) => {
            // A constant (the planner checks it).
            let datafusion::logical_expr::ColumnarValue::Scalar(groups) = &c.args[g] else {
                return exec_err!("the capture groups of extract_all() must be a constant");
            };
            match crate::dynamic::arrow::to_dyn(groups.to_array_of_size(1)?.as_ref(), 0)? {
                Value::Array(items) => Some(
                    items
                        .iter()
                        .map(|v| match v {
                            Value::Long(n) => usize::try_from(*n).ok(),
                            Value::String(name) => re.capture_names().position(|x| x == Some(name.as_str())),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()
                        .unwrap_or_default(),
                ),
                _ => None,
            }
        }
    };
    let wanted: Vec<usize> = match &groups {
        Some(g) => g.clone(),
        None if re.captures_len() > 1 => (1..re.captures_len()).collect(),
        None => vec![0],
    };
    let single = wanted.len() == 1 && groups.is_none();
    Ok(crate::dynamic::arrow::build((0..c.rows).map(|i| {
        let mut matches = Vec::new();
        for caps in re.captures_iter(s.text(i)) {
            let text = |g: usize| Value::String(caps.get(g).map_or("", |m| m.as_str()).to_owned());
            if single {
                matches.push(text(wanted[0]));
            } else {
                matches.push(Value::Array(wanted.iter().map(|g| text(*g)).collect()));
            }
        }
        if matches.is_empty() { Value::Null } else { Value::Array(matches) }
    })))
}

fn regex_quote(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(strings(c.rows, |i, out| out.push_str(&::regex::escape(s.text(i)))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn rewrites() {
        assert_eq!(super::rewrite(r"\1-\2"), "${1}-${2}");
        assert_eq!(super::rewrite("cost $5"), "cost $$5");
        assert_eq!(super::rewrite(r"\0x"), "${0}x");
    }
}
