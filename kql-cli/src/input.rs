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
