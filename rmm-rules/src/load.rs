//! Reading rule files: strict YAML first, then the known repair, then a located error.

use std::path::{Path, PathBuf};

use crate::error::LoadError;
use crate::repair::reindent_list_item_keys;
use crate::rule::{Rule, RuleSource};

/// Reads one rule from YAML text.
///
/// A file a strict YAML parser accepts is read as it is. A file it rejects is read again after
/// the repair of [`crate::repair`] (a key indented like the list item it belongs to, the defect of
/// every upstream RMM rule); the changes are listed in [`Rule::repairs`]. When that fails too, the
/// error is the strict parser's, at its line and column in the original text.
///
/// # Errors
/// A [`LoadError`] with the source and the YAML location.
pub fn parse_rule(text: &str, source: RuleSource) -> Result<Rule, LoadError> {
    let strict = match serde_norway::from_str::<Rule>(text) {
        Ok(rule) => return finish(rule, text, source, Vec::new()),
        Err(e) => e,
    };
    if let Some((fixed, repairs)) = reindent_list_item_keys(text)
        && let Ok(rule) = serde_norway::from_str::<Rule>(&fixed)
    {
        return finish(rule, &fixed, source, repairs);
    }
    Err(LoadError::yaml(source, &strict))
}

/// Reads one rule file.
///
/// # Errors
/// When the file cannot be read, is not UTF-8, or is not a rule (see [`parse_rule`]).
pub fn read_rule(path: &Path) -> Result<Rule, LoadError> {
    let source = RuleSource::File(path.to_path_buf());
    let bytes = std::fs::read(path).map_err(|e| LoadError::io(source.clone(), &e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        LoadError::new(source.clone(), None, format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
    })?;
    parse_rule(&text, source)
}

/// Every `*.yaml` / `*.yml` file under `dir` (recursively, hidden entries skipped), sorted.
///
/// # Errors
/// When `dir` or a folder below it cannot be read.
pub(crate) fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| LoadError::io(RuleSource::File(d.clone()), &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| LoadError::io(RuleSource::File(d.clone()), &e))?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn finish(
    mut rule: Rule,
    text: &str,
    source: RuleSource,
    repairs: Vec<crate::rule::Repair>,
) -> Result<Rule, LoadError> {
    if rule.query.trim().is_empty() {
        let line = key_line(text, "query");
        return Err(LoadError::new(source, line.map(|l| (l, 1)), "the rule's `query` is empty"));
    }
    let position = query_position(text);
    rule.query_line = position.map(|p| p.0);
    rule.query_indent = position.map_or(0, |p| p.1);
    rule.source = source;
    rule.repairs = repairs;
    Ok(rule)
}

/// The 1-based line of a top-level `key:`.
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|l| l.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with(':'))).map(|i| i + 1)
}

/// Where the query's text starts in the file: the 1-based line, and the columns YAML removed
/// before each line (a block scalar's indentation). `None` for a query that is not a block
/// scalar (a quoted or plain scalar folds its lines, so positions do not map back).
fn query_position(text: &str) -> Option<(usize, usize)> {
    let line = key_line(text, "query")?;
    let header = text.lines().nth(line - 1)?;
    let value = header.split_once(':').map(|(_, v)| v.trim()).unwrap_or("");
    if !(value.starts_with('|') || value.starts_with('>')) {
        return None;
    }
    let indent =
        text.lines().skip(line).find(|l| !l.trim().is_empty()).map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
    Some((line + 1, indent))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "id: 1\nname: N\ntactics: CommandAndControl\nrelevantTechniques:\n  - T1219\n  - T1105\nseverity: Medium\nquery: |\n  T\n  | take 1\n";

    #[test]
    fn reads_fields_and_keeps_the_others() {
        let rule = parse_rule(RULE, RuleSource::Inline).expect("rule");
        assert_eq!(rule.id, "1");
        assert_eq!(rule.tactics, ["CommandAndControl"]);
        assert_eq!(rule.relevant_techniques, ["T1219", "T1105"]);
        assert_eq!(rule.query, "T\n| take 1\n");
        assert_eq!(rule.extra["severity"], "Medium");
        assert_eq!(rule.query_line, Some(9));
        assert_eq!(rule.file_position(2, 3), Some((10, 5)));
        assert!(rule.repairs.is_empty());
    }

    #[test]
    fn errors_are_located() {
        let e = parse_rule("id: 1\nname: [\n", RuleSource::Inline).expect_err("invalid");
        assert!(e.location.is_some(), "{e}");
        let e = parse_rule("id: 1\nname: N\n", RuleSource::Inline).expect_err("no query");
        assert!(e.to_string().contains("query"), "{e}");
        let e = parse_rule("id: 1\nname: N\nquery: ''\n", RuleSource::Inline).expect_err("empty query");
        assert_eq!(e.location, Some((3, 1)));
    }
}
