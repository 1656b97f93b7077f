//! Member access on JSON text without building the value: `d.a.b[0]` walks the text once,
//! skipping every value off the path, and returns the byte range of the one it reaches.
//!
//! The whole text is still read to its end: a text that is not valid JSON is a *string* in
//! Kusto, and a string has no members, so `{"a":1} trailing` gives null for `.a`. A repeated key
//! follows the last occurrence, as a parsed bag does.

use jiter::{Jiter, Peek};

/// One step of a member path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// `d.key`, `d['key']`.
    Key(String),
    /// `d[i]`; negative counts from the end.
    Index(i64),
}

/// Nesting limit while walking (as in `value.rs`).
const MAX_DEPTH: usize = 200;

/// The byte range, in `text`, of the value at `path`; `None` when a key or index is missing, a
/// step meets the wrong kind of value, or the text is not one valid JSON value.
pub fn get(text: &[u8], path: &[StepRef<'_>]) -> Option<(usize, usize)> {
    let mut j = Jiter::new(text);
    let found = find(&mut j, path, 0).ok()?;
    j.finish().ok()?;
    found
}

/// A borrowed step, so per-row keys need no allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepRef<'a> {
    /// A key.
    Key(&'a str),
    /// An index.
    Index(i64),
}

impl Step {
    /// This step, borrowed.
    pub fn as_ref(&self) -> StepRef<'_> {
        match self {
            Self::Key(k) => StepRef::Key(k),
            Self::Index(i) => StepRef::Index(*i),
        }
    }
}

struct Invalid;

type Walk = Result<Option<(usize, usize)>, Invalid>;

fn err<E>(_: E) -> Invalid {
    Invalid
}

/// Consumes the next value; returns the range of the target inside it.
fn find(j: &mut Jiter<'_>, path: &[StepRef<'_>], depth: usize) -> Walk {
    if depth > MAX_DEPTH {
        return Err(Invalid);
    }
    let peek = j.peek().map_err(err)?;
    let Some((step, rest)) = path.split_first() else {
        let start = j.current_index();
        j.known_skip(peek).map_err(err)?;
        return Ok(Some((start, j.current_index())));
    };
    match (peek, step) {
        (Peek::Object, StepRef::Key(want)) => {
            let mut found = None;
            let mut key = j.known_object().map_err(err)?.map(|k| k == *want);
            while let Some(is_match) = key {
                if is_match {
                    // A later repeat of the key wins.
                    found = find(j, rest, depth + 1)?;
                } else {
                    j.next_skip().map_err(err)?;
                }
                key = j.next_key().map_err(err)?.map(|k| k == *want);
            }
            Ok(found)
        }
        (Peek::Array, StepRef::Index(i)) if *i >= 0 => {
            let want = *i as u64;
            let mut found = None;
            let mut n = 0u64;
            let mut next = j.known_array().map_err(err)?;
            while let Some(p) = next {
                if n == want {
                    found = find(j, rest, depth + 1)?;
                } else {
                    j.known_skip(p).map_err(err)?;
                }
                n += 1;
                next = j.array_step().map_err(err)?;
            }
            Ok(found)
        }
        (Peek::Array, StepRef::Index(i)) => {
            // From the end: note where each element starts, then walk into the one asked for.
            let mut starts = Vec::new();
            let mut next = j.known_array().map_err(err)?;
            while let Some(p) = next {
                let start = j.current_index();
                j.known_skip(p).map_err(err)?;
                starts.push((start, j.current_index()));
                next = j.array_step().map_err(err)?;
            }
            let back = usize::try_from(i.unsigned_abs()).map_err(err)?;
            let Some(&(start, end)) = starts.len().checked_sub(back).and_then(|k| starts.get(k)) else {
                return Ok(None);
            };
            if rest.is_empty() {
                return Ok(Some((start, end)));
            }
            let text = j.slice_to_current(0);
            let mut inner = Jiter::new(&text[start..end]);
            let found = find(&mut inner, rest, depth + 1)?;
            Ok(found.map(|(a, b)| (a + start, b + start)))
        }
        (p, _) => {
            j.known_skip(p).map_err(err)?;
            Ok(None)
        }
    }
}

/// Whether the text at a range is a JSON string, and its unescaped value.
pub fn string_at(text: &[u8]) -> Option<String> {
    let mut j = Jiter::new(text);
    match j.peek().ok()? {
        Peek::String => j.known_str().ok().map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(text: &'a str, path: &[StepRef<'_>]) -> Option<&'a str> {
        get(text.as_bytes(), path).map(|(a, b)| &text[a..b])
    }

    #[test]
    fn walks_keys_and_indexes() {
        let doc = r#"{"a": {"b": [10, {"c": "x"}, 30]}, "d": null, "e": [1, 2]}"#;
        assert_eq!(at(doc, &[StepRef::Key("a"), StepRef::Key("b"), StepRef::Index(1)]), Some(r#"{"c": "x"}"#));
        assert_eq!(
            at(doc, &[StepRef::Key("a"), StepRef::Key("b"), StepRef::Index(1), StepRef::Key("c")]),
            Some(r#""x""#)
        );
        assert_eq!(at(doc, &[StepRef::Key("a"), StepRef::Key("b"), StepRef::Index(-1)]), Some("30"));
        assert_eq!(
            at(doc, &[StepRef::Key("a"), StepRef::Key("b"), StepRef::Index(-2), StepRef::Key("c")]),
            Some(r#""x""#)
        );
        assert_eq!(at(doc, &[StepRef::Key("a"), StepRef::Key("b"), StepRef::Index(-4)]), None);
        assert_eq!(at(doc, &[StepRef::Key("a"), StepRef::Key("b"), StepRef::Index(3)]), None);
        assert_eq!(at(doc, &[StepRef::Key("d")]), Some("null"));
        assert_eq!(at(doc, &[StepRef::Key("zz")]), None);
        assert_eq!(at(doc, &[StepRef::Index(0)]), None);
        assert_eq!(at(doc, &[StepRef::Key("e"), StepRef::Key("x")]), None);
        assert_eq!(at(doc, &[]), Some(doc));
    }

    #[test]
    fn invalid_text_has_no_members() {
        assert_eq!(at(r#"{"a": 1} x"#, &[StepRef::Key("a")]), None);
        assert_eq!(at(r#"{"a": 1, "b": }"#, &[StepRef::Key("a")]), None);
        assert_eq!(at("not json", &[StepRef::Key("a")]), None);
    }

    #[test]
    fn a_repeated_key_follows_the_last() {
        assert_eq!(at(r#"{"a": 1, "a": 2}"#, &[StepRef::Key("a")]), Some("2"));
        assert_eq!(at(r#"{"a": {"b": 1}, "a": 5}"#, &[StepRef::Key("a"), StepRef::Key("b")]), None);
        assert_eq!(at(r#"{"k\u0061": 7}"#, &[StepRef::Key("ka")]), Some("7"));
    }
}
