//! Test helpers: locating `../shared` and reading query text out of rule files leniently.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};

/// The shared material beside the repository (`KQL_SHARED_DIR` overrides).
pub(crate) fn shared_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("KQL_SHARED_DIR") {
        return PathBuf::from(dir);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    assert!(
        dir.is_dir(),
        "the shared material is missing: expected {} (clone this repository beside `shared`, or set KQL_SHARED_DIR)",
        dir.display()
    );
    dir
}

/// Files with the given extension in `dir`, sorted by name.
pub(crate) fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    out.sort();
    out
}

/// The `query: |` block of a Sentinel rule file, dedented. The upstream files are not strict
/// YAML (mis-indented lists), so this reads only the block scalar, by indentation.
pub(crate) fn yaml_query(text: &str) -> Option<String> {
    let text = text.replace("\r\n", "\n");
    let mut lines = text.lines();
    let key_indent = loop {
        let line = lines.next()?;
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("query:")
            && rest.trim_start().starts_with(['|', '>'])
        {
            break line.len() - trimmed.len();
        }
    };
    let mut body: Vec<&str> = Vec::new();
    for line in lines {
        let indent = line.len() - line.trim_start().len();
        if !line.trim().is_empty() && indent <= key_indent {
            break;
        }
        body.push(line);
    }
    let indent = body.iter().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min()?;
    let out: Vec<&str> = body.iter().map(|l| l.get(indent..).unwrap_or("")).collect();
    Some(out.join("\n").trim_end().to_owned() + "\n")
}

/// The query of a scraped seed page: the lines after "KQL Query" up to the rule definition.
pub(crate) fn seed_query(text: &str) -> Option<String> {
    let start = text.find("KQL Query")? + "KQL Query".len();
    let rest = &text[start..];
    let end = ["\nAnalytic Rule Definition", "\nid: "].iter().filter_map(|m| rest.find(m)).min().unwrap_or(rest.len());
    Some(rest[..end].trim().to_owned() + "\n")
}

/// Every corpus query: (label, query text).
pub(crate) fn corpus() -> Vec<(String, String)> {
    let shared = shared_dir();
    let mut out = Vec::new();
    for f in files(&shared.join("seeds"), "txt") {
        let text = std::fs::read_to_string(&f).expect("read seed");
        let q = seed_query(&text).unwrap_or_else(|| panic!("no query in {}", f.display()));
        out.push((format!("seeds/{}", f.file_name().unwrap().to_string_lossy()), q));
    }
    for dir in ["corpus/rmm-tools/rules", "corpus/sentinel-rmm"] {
        for f in files(&shared.join(dir), "yaml") {
            let text = std::fs::read_to_string(&f).expect("read rule");
            let q = yaml_query(&text).unwrap_or_else(|| panic!("no query block in {}", f.display()));
            out.push((format!("{dir}/{}", f.file_name().unwrap().to_string_lossy()), q));
        }
    }
    out
}
