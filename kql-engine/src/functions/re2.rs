//! Kusto's regular expressions are RE2's; the `regex` crate reads nearly the same syntax. Two
//! RE2 forms it rejects are rewritten before compiling: a `{` that does not open a counted
//! repetition (`{n}`, `{n,}`, `{n,m}`) is a literal brace in RE2 (`[0-9]{1-3}` in a public
//! hunt), and `\Q...\E` quotes literal text.

use std::borrow::Cow;

/// `pattern` in the `regex` crate's syntax, with RE2's meaning.
pub(crate) fn to_rust(pattern: &str) -> Cow<'_, str> {
    if !pattern.contains(['{', '\\']) {
        return Cow::Borrowed(pattern);
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if chars.get(i + 1) == Some(&'Q') => {
                // \Q...\E (or to the end): every character literal.
                let mut j = i + 2;
                let mut text = String::new();
                while j < chars.len() && !(chars[j] == '\\' && chars.get(j + 1) == Some(&'E')) {
                    text.push(chars[j]);
                    j += 1;
                }
                out.push_str(&regex::escape(&text));
                i = if j < chars.len() { j + 2 } else { j };
                continue;
            }
            '\\' => {
                out.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    out.push(next);
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // `[]...]` and `[^]...]`: a leading `]` is literal.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' if !in_class && !is_repetition(&chars[i + 1..]) => out.push_str("\\{"),
            '}' if !in_class => {
                // A `}` that closes a repetition was copied with it; any other is literal.
                out.push_str("\\}");
            }
            _ => out.push(c),
        }
        if c == '{' && !in_class && is_repetition(&chars[i + 1..]) {
            // Copy the whole `{n,m}`.
            let end = chars[i + 1..].iter().position(|&c| c == '}').map_or(chars.len(), |p| i + 1 + p);
            out.extend(&chars[i + 1..=end.min(chars.len() - 1)]);
            i = end + 1;
            continue;
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// `n}`, `n,}` or `n,m}` follows.
fn is_repetition(rest: &[char]) -> bool {
    let digits = |s: &[char]| s.iter().take_while(|c| c.is_ascii_digit()).count();
    let n = digits(rest);
    if n == 0 {
        return false;
    }
    match rest.get(n) {
        Some('}') => true,
        Some(',') => {
            let m = digits(&rest[n + 1..]);
            rest.get(n + 1 + m) == Some(&'}')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::to_rust;

    fn compiles_as(re2: &str, want: &str) {
        assert_eq!(to_rust(re2), want);
        assert!(regex::Regex::new(&to_rust(re2)).is_ok(), "{re2}");
    }

    #[test]
    fn braces_that_are_not_repetitions_are_literal() {
        compiles_as(r"\\cubeb-pipe-\d+_[0-9]{1-3}+", r"\\cubeb-pipe-\d+_[0-9]\{1-3\}+");
        compiles_as(r"a{2}b{1,}c{1,3}", r"a{2}b{1,}c{1,3}");
        compiles_as(r"{x}", r"\{x\}");
        compiles_as(r"a{,3}", r"a\{,3\}");
        compiles_as(r"[{}]x", r"[{}]x");
        compiles_as(r"[]{]", r"[\]{]");
        compiles_as(r"\{1\}", r"\{1\}");
        let re = regex::Regex::new(&to_rust(r"_[0-9]{1-3}+$")).unwrap();
        assert!(re.is_match("_5{1-3}}}"));
    }

    #[test]
    fn quoted_text_is_literal() {
        compiles_as(r"\Qa.b*\Ec", r"a\.b\*c");
        compiles_as(r"x\Q(", r"x\(");
        assert_eq!(to_rust(r"\d+\.exe"), r"\d+\.exe");
    }
}
