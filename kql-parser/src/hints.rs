//! Targeted messages for the mistakes real hunting rules make (found in the RMM corpus), so
//! the error names the problem rather than listing tokens.

use crate::error::Expected;

/// Tabular operators of KQL that this parser does not read yet.
const UNSUPPORTED_OPERATORS: &[&str] = &[
    "reduce",
    "consume",
    "project-smart",
    "graph-where-nodes",
    "graph-where-edges",
    "lookup-table",
    "extend-schema",
    "assert-schema",
];

/// Words that are operators: seeing one where a tabular operator was expected means a
/// missing `where`.
const SCALAR_OPERATOR_WORDS: &[&str] = &[
    "in",
    "!in",
    "has",
    "!has",
    "has_any",
    "has_all",
    "contains",
    "startswith",
    "endswith",
    "between",
    "==",
    "!=",
    "=~",
    "!~",
    ">",
    "<",
    ">=",
    "<=",
];

/// The last character of `text` that is not whitespace or inside a `//` comment.
fn last_code_char(text: &str) -> Option<char> {
    text.lines().rev().find_map(|line| {
        let code = match comment_start(line) {
            Some(i) => &line[..i],
            None => line,
        };
        code.trim_end().chars().last()
    })
}

/// Where a `//` comment starts on `line`, skipping `//` inside string literals.
fn comment_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        match (quote, b[i]) {
            (None, b'/') if b.get(i + 1) == Some(&b'/') => return Some(i),
            (None, q @ (b'\'' | b'"')) => quote = Some(q),
            (Some(_), b'\\') => i += 1,
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Operator words an analyst may misspell.
const KNOWN_WORDS: &[&str] = &[
    "has",
    "has_cs",
    "hasprefix",
    "hassuffix",
    "has_any",
    "has_all",
    "contains",
    "contains_cs",
    "startswith",
    "endswith",
    "between",
    "matches",
    "where",
    "summarize",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "extend",
    "take",
    "limit",
    "top",
    "sort",
    "order",
    "count",
    "distinct",
    "join",
    "lookup",
    "union",
    "mv-expand",
    "mv-apply",
    "evaluate",
    "parse",
    "datatable",
    "print",
    "partition",
    "top-hitters",
    "fork",
    "facet",
];

/// The known word nearest to `word` (at most 2 edits, and not the word itself).
fn closest(word: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(word, k), *k))
        .filter(|(d, k)| *d > 0 && *d <= 2.min(k.len() / 3 + 1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn previous_token(text: &str, pos: usize) -> &str {
    let before = text[..pos].trim_end();
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '~' || c == '!'))
        .map_or(0, |i| i + before[i..].chars().next().map_or(1, char::len_utf8));
    &before[start..]
}

fn word_at(text: &str, pos: usize) -> &str {
    let rest = &text[pos..];
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
    &rest[..end]
}

pub(crate) fn improve(
    text: &str,
    pos: usize,
    found: &str,
    expected: &Expected,
    message: &mut String,
    help: &mut Option<String>,
) {
    let before = text[..pos].trim_end();
    // 1. `('a', 'b',)`: a trailing comma (several RMM rules), maybe followed by a comment.
    if (found == "`)`" || found == "`]`") && last_code_char(&text[..pos]) == Some(',') && expected.expression {
        *message = format!("a list cannot end with a comma: found {found} after `,`");
        *help = Some("remove the last `,` in the list".to_owned());
        return;
    }
    // 2. A tabular operator was expected (or one with a `-` in its name was read in part:
    // `top-nested` starts like `top`).
    let whole_start = text[..pos]
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .map_or(0, |i| i + text[i..].chars().next().map_or(1, char::len_utf8));
    let whole = word_at(text, whole_start);
    if whole.contains('-') && UNSUPPORTED_OPERATORS.contains(&whole) && text[..whole_start].trim_end().ends_with('|') {
        *message = format!("the tabular operator `{whole}` is not supported yet");
        return;
    }
    if expected.operator {
        let word = word_at(text, pos);
        if UNSUPPORTED_OPERATORS.contains(&word) {
            *message = format!("the tabular operator `{word}` is not supported yet");
            return;
        }
        if !word.is_empty() && before.ends_with('|') {
            // `| Sha1 in (...)`: a filter written without `where` (DWService rules).
            let after = text[pos + word.len()..].trim_start();
            let next: String = after.chars().take_while(|c| !c.is_whitespace() && *c != '(').collect();
            if SCALAR_OPERATOR_WORDS.contains(&next.as_str()) {
                *message = format!("expected a tabular operator such as `where`, found `{word}`");
                *help = Some(format!(
                    "`{word}` is a column, not an operator; to keep matching rows write `| where {word} {next} ...`"
                ));
            } else if let Some(best) = closest(word, KNOWN_WORDS) {
                *help = Some(format!("did you mean `{best}`?"));
            } else {
                *help = Some(format!(
                    "`{word}` is not a tabular operator; operators include where, summarize, project, extend, join, sort, take"
                ));
            }
            return;
        }
    }
    // 3. `has_all has_any (...)` and `in` without parentheses (Level rules).
    if expected.has_token("(") {
        let prev = previous_token(text, pos);
        if ["has_any", "has_all", "in", "!in", "in~", "!in~"].contains(&prev) {
            *help = Some(format!("`{prev}` takes a parenthesized list: `{prev} ('a', 'b')`"));
            return;
        }
    }
    // 4. A misspelt operator: `hasy`, `containz`, `sumarize`.
    let word = word_at(text, pos);
    if word.len() >= 3
        && let Some(best) = closest(word, KNOWN_WORDS)
    {
        *help = Some(format!("did you mean `{best}`?"));
        return;
    }
    // 5. Two statements without `;` between them.
    if expected.has_token(";") && !found.starts_with("the end") {
        let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
        if text[line_start..pos].trim().is_empty() || found.starts_with("`let") {
            *help = Some("statements are separated by `;`: end the previous statement with `;`".to_owned());
        }
    }
}

/// The byte offset of a string literal that is never closed (on its line, or at all for
/// multi-line strings), found by a quick lexical scan that skips comments.
pub(crate) fn unterminated_string(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'`' | b'~' if text[i..].starts_with("```") || text[i..].starts_with("~~~") => {
                let fence = &text[i..i + 3];
                match text[i + 3..].find(fence) {
                    Some(n) => i = i + 3 + n + 3,
                    None => return Some(i),
                }
            }
            b'@' if matches!(b.get(i + 1), Some(b'\'' | b'"')) => {
                let q = b[i + 1];
                let mut j = i + 2;
                loop {
                    match b.get(j) {
                        None | Some(b'\n') => return Some(i),
                        Some(c) if *c == q && b.get(j + 1) == Some(&q) => j += 2,
                        Some(c) if *c == q => break,
                        Some(_) => j += 1,
                    }
                }
                i = j + 1;
            }
            q @ (b'\'' | b'"') => {
                let mut j = i + 1;
                loop {
                    match b.get(j) {
                        None | Some(b'\n') => return Some(i),
                        Some(b'\\') => j += 2,
                        Some(c) if *c == q => break,
                        Some(_) => j += 1,
                    }
                }
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::unterminated_string;

    #[test]
    fn finds_unclosed_strings() {
        assert_eq!(unterminated_string("T | where x == 'abc"), Some(15));
        assert_eq!(unterminated_string("T | where x == 'a' // it's\n| take 1"), None);
        assert_eq!(unterminated_string("print @'C:\\x'' y"), Some(6));
        assert_eq!(unterminated_string("print ```a\n'b```, \"c\\\"\""), None);
        assert_eq!(unterminated_string("print ```a"), Some(6));
        assert_eq!(unterminated_string("print \"x\ny\""), Some(6));
    }
}
