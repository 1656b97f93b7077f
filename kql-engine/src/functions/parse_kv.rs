//! The extraction of `parse-kv` (parse-kv-operator.md): the values of the listed keys in a
//! text, by one of three modes, as a struct of texts (null for a key that does not appear).
//!
//! * delimiters given: the text is split into pairs at `pair_delimiter` (outside quotes), each
//!   pair into key and value at its first `kv_delimiter`; a pair without one is skipped. With
//!   `greedy=true` a value runs to the last pair delimiter before the next key, so unquoted
//!   values may hold pair delimiters.
//! * no delimiters: any character that is not a letter or digit delimits; a key is a listed
//!   name standing as a whole word, its value the word (or quoted text) after the delimiters
//!   that follow it.
//! * `regex=`: a regular expression with two groups, the key and the value.
//!
//! Keys and values are trimmed of white space; quoted ones lose their quotes and escapes; the
//! first appearance of a key wins.

use std::hash::Hash;

use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// How pairs are found.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum KvMode {
    /// `pair_delimiter` and `kv_delimiter`, optionally `greedy`.
    Delimited {
        /// Between pairs.
        pair: String,
        /// Between a key and its value.
        kv: String,
        /// Values run to the next key rather than the next pair delimiter.
        greedy: bool,
    },
    /// Any non-alphanumeric character delimits.
    Words,
    /// Two groups: key and value.
    Regex(String),
}

/// The options every mode shares.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct KvOptions {
    /// The mode.
    pub mode: KvMode,
    /// Opening and closing quote characters (the same character twice for `"`).
    pub quotes: Vec<(char, char)>,
    /// Escape characters inside quotes.
    pub escapes: Vec<char>,
}

/// `parse-kv`'s extraction: a struct with one UTF-8 field per key (`g0`, `g1`, ...).
#[derive(Debug)]
pub struct ParseKvUdf {
    pub(crate) options: KvOptions,
    pub(crate) keys: Vec<String>,
    pub(crate) regex: Option<regex::Regex>,
    fields: Fields,
    signature: Signature,
}

impl PartialEq for ParseKvUdf {
    fn eq(&self, other: &Self) -> bool {
        self.options == other.options && self.keys == other.keys
    }
}
impl Eq for ParseKvUdf {}
impl Hash for ParseKvUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.options.hash(state);
        self.keys.hash(state);
    }
}

impl ParseKvUdf {
    /// The values of `keys` in `text`; `regex` is the compiled pattern of [`KvMode::Regex`].
    pub fn call(options: KvOptions, keys: Vec<String>, regex: Option<regex::Regex>, text: Expr) -> Expr {
        Self::udf(options, keys, regex).call(vec![text])
    }

    /// The UDF.
    pub(crate) fn udf(options: KvOptions, keys: Vec<String>, regex: Option<regex::Regex>) -> ScalarUDF {
        let fields: Fields =
            (0..keys.len()).map(|i| Field::new(super::parse::ParseUdf::group_name(i), DataType::Utf8, true)).collect();
        let udf = Self {
            options,
            keys,
            regex,
            fields,
            signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
        };
        ScalarUDF::new_from_impl(udf)
    }

    /// The values of the keys in one text.
    pub fn extract(&self, text: &str) -> Vec<Option<String>> {
        let mut out = vec![None; self.keys.len()];
        let mut found = |key: &str, value: String| {
            if let Some(i) = self.keys.iter().position(|k| k == key)
                && out[i].is_none()
            {
                out[i] = Some(value);
            }
        };
        match &self.options.mode {
            KvMode::Regex(_) => {
                if let Some(re) = &self.regex {
                    for c in re.captures_iter(text) {
                        if let (Some(k), Some(v)) = (c.get(1), c.get(2)) {
                            found(k.as_str().trim(), v.as_str().trim().to_owned());
                        }
                    }
                }
            }
            KvMode::Delimited { pair, kv, greedy } => {
                for (key, value) in delimited(text, pair, kv, *greedy, &self.options) {
                    found(&key, value);
                }
            }
            KvMode::Words => {
                for (i, key) in self.keys.iter().enumerate() {
                    if out[i].is_none() {
                        out[i] = word_value(text, key, &self.options);
                    }
                }
            }
        }
        out
    }
}

impl ScalarUDFImpl for ParseKvUdf {
    fn name(&self) -> &str {
        "parse_kv"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(self.fields.clone()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        super::parse::struct_of_texts(&self.fields, &args, "parse-kv", |value, builders| {
            for (b, v) in builders.iter_mut().zip(self.extract(value)) {
                b.append_option(v);
            }
            true
        })
    }
}

/// The closing quote for an opening one at the start of `s`.
fn opening(s: &str, options: &KvOptions) -> Option<char> {
    let first = s.chars().next()?;
    options.quotes.iter().find(|(o, _)| *o == first).map(|(_, c)| *c)
}

/// A quoted text at the start of `s` (opening quote included): its content, unescaped, and
/// the byte length read. An unclosed quote runs to the end.
fn quoted(s: &str, close: char, options: &KvOptions) -> (String, usize) {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        if options.escapes.contains(&c) {
            if let Some((_, next)) = chars.next() {
                out.push(next);
            }
            continue;
        }
        if c == close {
            return (out, i + c.len_utf8());
        }
        out.push(c);
    }
    (out, s.len())
}

/// Key or value text: unquoted and trimmed.
fn clean(s: &str, options: &KvOptions) -> String {
    let t = s.trim();
    match opening(t, options) {
        Some(close) => quoted(t, close, options).0,
        None => t.to_owned(),
    }
}

/// The byte positions of `delim` in `s` outside quotes.
fn split_points(s: &str, delim: &str, options: &KvOptions) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if let Some(close) = opening(rest, options) {
            i += quoted(rest, close, options).1;
            continue;
        }
        if !delim.is_empty() && rest.starts_with(delim) {
            out.push(i);
            i += delim.len();
            continue;
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    out
}

fn delimited(text: &str, pair: &str, kv: &str, greedy: bool, options: &KvOptions) -> Vec<(String, String)> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for p in split_points(text, pair, options) {
        pieces.push(&text[start..p]);
        start = p + pair.len();
    }
    pieces.push(&text[start..]);
    let split = |piece| split_kv(piece, kv, options);
    let mut out = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        let Some((key, value)) = split(pieces[i]) else {
            i += 1;
            continue;
        };
        let mut value = value.to_owned();
        i += 1;
        if greedy {
            // Pieces without a key of their own belong to this value.
            while i < pieces.len() && split(pieces[i]).is_none() {
                value.push_str(pair);
                value.push_str(pieces[i]);
                i += 1;
            }
        }
        out.push((clean(key, options), clean(&value, options)));
    }
    out
}

/// A pair split at its first key/value delimiter outside quotes.
fn split_kv<'a>(piece: &'a str, kv: &str, options: &KvOptions) -> Option<(&'a str, &'a str)> {
    split_points(piece, kv, options).first().map(|&k| (&piece[..k], &piece[k + kv.len()..]))
}

/// No delimiters given: `key` as a whole word, then delimiters, then its value.
fn word_value(text: &str, key: &str, options: &KvOptions) -> Option<String> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(pos) = text[from..].find(key).map(|p| p + from) {
        from = pos + key.len().max(1);
        let before_ok = text[..pos].chars().next_back().is_none_or(|c| !word(c));
        let rest = &text[pos + key.len()..];
        if !before_ok || rest.chars().next().is_some_and(word) {
            continue;
        }
        // Delimiters (at least one), then the value.
        let skipped = rest.trim_start_matches(|c: char| !word(c) && opening(&c.to_string(), options).is_none());
        if skipped.len() == rest.len() {
            continue;
        }
        if let Some(close) = opening(skipped, options) {
            return Some(quoted(skipped, close, options).0.trim().to_owned());
        }
        let end = skipped.find(|c: char| !word(c)).unwrap_or(skipped.len());
        return Some(skipped[..end].to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extract(mode: KvMode, quotes: &str, escapes: &str, keys: &[&str], text: &str) -> Vec<Option<String>> {
        let q: Vec<char> = quotes.chars().collect();
        let quotes = if q.len() == 2 { vec![(q[0], q[1])] } else { q.iter().map(|&c| (c, c)).collect() };
        let options = KvOptions { mode: mode.clone(), quotes, escapes: escapes.chars().collect() };
        let regex = match &mode {
            KvMode::Regex(r) => Some(regex::Regex::new(r).unwrap()),
            _ => None,
        };
        let udf = ParseKvUdf {
            options,
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            regex,
            fields: Fields::empty(),
            signature: Signature::exact(vec![], Volatility::Immutable),
        };
        udf.extract(text)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    fn delim(pair: &str, kv: &str, greedy: bool) -> KvMode {
        KvMode::Delimited { pair: pair.into(), kv: kv.into(), greedy }
    }

    #[test]
    fn the_documented_examples() {
        let text = "ThreadId:458745723, Machine:Node001, Text: The service is up, Level: Info";
        assert_eq!(
            extract(delim(",", ":", false), "", "", &["Text", "ThreadId", "Machine"], text),
            vec![s("The service is up"), s("458745723"), s("Node001")]
        );
        let text =
            r#"src=10.1.1.123 dst=10.1.1.124 bytes=125 failure="connection aborted" "event time"=2021-01-01T10:00:54"#;
        assert_eq!(
            extract(delim(" ", "=", false), "\"", "", &["event time", "src", "failure"], text),
            vec![s("2021-01-01T10:00:54"), s("10.1.1.123"), s("connection aborted")]
        );
        let text = "src=10.1.1.123 failure=(connection aborted) (event time)=(2021-01-01 10:00:54)";
        assert_eq!(
            extract(delim(" ", "=", false), "()", "", &["event time", "failure"], text),
            vec![s("2021-01-01 10:00:54"), s("connection aborted")]
        );
        let text = r#"failure="the remote host sent \"bye!\"" time=2021-01-01T10:00:54"#;
        assert_eq!(
            extract(delim(" ", "=", false), "\"", "\\", &["time", "failure"], text),
            vec![s("2021-01-01T10:00:54"), s("the remote host sent \"bye!\"")]
        );
        let text = "name=John Doe phone=555 5555 city=New York";
        assert_eq!(
            extract(delim(" ", "=", false), "", "", &["name", "phone", "city"], text),
            vec![s("John"), s("555"), s("New")]
        );
        assert_eq!(
            extract(delim(" ", "=", true), "", "", &["name", "phone", "city"], text),
            vec![s("John Doe"), s("555 5555"), s("New York")]
        );
        let text = "2021-01-01T10:00:34 [INFO] ThreadId:458745723, Machine:Node001, Text: Started";
        assert_eq!(
            extract(KvMode::Words, "", "", &["Text", "ThreadId", "Machine"], text),
            vec![s("Started"), s("458745723"), s("Node001")]
        );
        let text = r"2021-01-01T10:00:34 [INFO] ThreadId:458745723, Machine:Node001, Text: 'The service \' is up'";
        assert_eq!(extract(KvMode::Words, "'", "\\", &["Text"], text), vec![s("The service ' is up")]);
        let text = r#"["referer url: https://hostname.com/redirect?dest=/?h=1234", "advertiser id: 24fefbca-cf27-4d62-a623-249c2ad30c73"]"#;
        assert_eq!(
            extract(
                KvMode::Regex(r#""([\w ]+)\s*:\s*([^"]*)""#.into()),
                "",
                "",
                &["referer url", "advertiser id"],
                text
            ),
            vec![s("https://hostname.com/redirect?dest=/?h=1234"), s("24fefbca-cf27-4d62-a623-249c2ad30c73")]
        );
    }

    #[test]
    fn first_appearance_wins_and_missing_keys_are_null() {
        assert_eq!(extract(delim(";", "=", false), "", "", &["a", "z"], "a=1;a=2;b"), vec![s("1"), None]);
        assert_eq!(extract(KvMode::Words, "", "", &["id"], "userid=5 id=7"), vec![s("7")]);
        assert_eq!(extract(delim(" ", "=", false), "\"", "", &["a"], "a=\"unclosed"), vec![s("unclosed")]);
    }
}
