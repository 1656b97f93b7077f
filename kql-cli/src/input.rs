//! Where the query text comes from: an argument, a file (`-f`), or standard input (`-`).

use std::io::Read as _;

/// The query text and a name for it in error reports.
#[derive(Debug)]
pub(crate) struct QueryText {
    pub(crate) name: String,
    pub(crate) text: String,
}

/// Reads the query from `query` (text, or `-` for stdin) or `file`.
pub(crate) fn read(query: Option<&str>, file: Option<&std::path::Path>) -> Result<QueryText, String> {
    match (query, file) {
        (Some(_), Some(_)) => Err("give the query either as an argument or with -f, not both".into()),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|text| QueryText { name: path.display().to_string(), text })
            .map_err(|e| format!("cannot read {}: {e}", path.display())),
        (Some("-"), None) | (None, None) => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read standard input: {e}"))?;
            Ok(QueryText { name: "<stdin>".into(), text })
        }
        (Some(q), None) => Ok(QueryText { name: "query".into(), text: q.to_owned() }),
    }
}

/// The blank-line-separated blocks of a text, as Kusto Explorer runs them: each block's first
/// line (1-based) and its text. A blank line inside a multi-line string (```...``` or
/// ~~~...~~~) does not end a block; blocks holding only comments are skipped.
pub(crate) fn blocks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut fence: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        if fence.is_none() && line.trim().is_empty() {
            push_block(&mut out, start, &mut current);
            continue;
        }
        if current.is_empty() {
            start = i + 1;
        }
        current.push_str(line);
        current.push('\n');
        for marker in ["```", "~~~"] {
            let n = line.matches(marker).count();
            if n % 2 == 1 {
                fence = match fence {
                    Some(m) if m == marker => None,
                    None => Some(marker),
                    other => other,
                };
            }
        }
    }
    push_block(&mut out, start, &mut current);
    out
}

fn push_block(out: &mut Vec<(usize, String)>, start: usize, current: &mut String) {
    let code = current.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with("//")
    });
    if code {
        out.push((start, std::mem::take(current)));
    } else {
        current.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::blocks;

    #[test]
    fn blank_lines_separate_blocks_but_not_inside_multiline_strings() {
        let text = "// hunt 1\nT | take 1\n\n\n// only a comment\n\nT\n| where x == ```a\n\nb```\n| count\n";
        let b = blocks(text);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0], (1, "// hunt 1\nT | take 1\n".to_owned()));
        assert_eq!(b[1].0, 7);
        assert!(b[1].1.ends_with("| count\n"));
    }
}
