//! The public hunting queries of `../shared/corpus/hunting-dev` (510 queries from four
//! permissively licensed repositories), each run verbatim over a generated lake of every
//! documented table, typed by the documented schemas. The snapshot records, per query,
//! `runs` or the first line of its error: the ratchet later work moves. No query may panic.
//! The feeds `externaldata` names by URL are served from a mirror folder of synthetic files
//! (two records each), as an air-gapped analyst would keep them; nothing reaches the network.
//!
//! Update after a change that makes more queries run:
//! `INSTA_UPDATE=always cargo test -p kql-engine --test engine hunting_corpus` and review the diff.

use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use futures::FutureExt as _;
use kql_engine::{DocumentedSchemas, ExternalDataOptions, KqlContext};
use testdata::documented::{DocConfig, DocLakeOptions, DocumentedGenerator, load_schemas, write_documented_lake};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// Every query file, as `repository/NNNN.kql`, sorted.
fn queries() -> Vec<(String, String)> {
    let root = shared().join("corpus/hunting-dev/queries");
    let mut out = Vec::new();
    let mut repos: Vec<PathBuf> =
        std::fs::read_dir(&root).expect("the hunting corpus (../shared)").flatten().map(|e| e.path()).collect();
    repos.sort();
    for repo in repos.iter().filter(|p| p.is_dir()) {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(repo).expect("a repository folder").flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.extension().is_some_and(|x| x == "kql")) {
            let name = format!(
                "{}/{}",
                repo.file_name().unwrap_or_default().to_string_lossy(),
                f.file_name().unwrap_or_default().to_string_lossy()
            );
            out.push((name, std::fs::read_to_string(f).expect("a query file")));
        }
    }
    out
}

/// A mirror of every URL an `externaldata` of the corpus reads: each a small file of two
/// records, comma-separated (a header-like first record, then a plausible one), or JSON objects
/// with the declared columns when the query reads JSON.
fn feed_mirror(queries: &[(String, String)], dir: &Path) {
    let block =
        regex::Regex::new(r"(?is)external_?data\s*\(([^)]*)\)\s*\[([^\]]*)\](\s*with\s*\([^)]*\))?").expect("regex");
    let url = regex::Regex::new(r#"(?i)https?://[^"'\s]+"#).expect("regex");
    for (_, text) in queries {
        for b in block.captures_iter(text) {
            let json = b.get(3).is_some_and(|w| w.as_str().to_ascii_lowercase().contains("json"));
            // JSON feeds: one object per line with each declared column.
            let names: Vec<&str> = b[1]
                .split(',')
                .filter_map(|c| c.split(':').next())
                .map(|n| n.trim().trim_matches(['[', ']', '\'', '"']))
                .collect();
            let record = |i: usize| {
                let fields: Vec<String> = names.iter().map(|n| format!("\"{n}\": \"value{i}\"")).collect();
                format!("{{{}}}\n", fields.join(", "))
            };
            let content = if json {
                format!("{}{}", record(1), record(2))
            } else {
                "name,value,count,time\nevil.example,10.0.0.1,1,2024-05-30T00:00:00Z\n".to_owned()
            };
            for u in url.find_iter(&b[2]) {
                let rest = u.as_str().split_once("://").map_or("", |(_, r)| r);
                let rest = rest.split(['?', '#']).next().unwrap_or("");
                let decoded = percent_encoding::percent_decode_str(rest).decode_utf8_lossy().into_owned();
                let (host, path) = decoded.split_once('/').unwrap_or((&decoded, ""));
                let file = dir.join(host.to_ascii_lowercase()).join(path.trim_matches('/'));
                std::fs::create_dir_all(file.parent().expect("a folder")).expect("mirror folder");
                std::fs::write(&file, &content).expect("mirror file");
            }
        }
    }
}

/// The outcome of one query: `runs`, or the first line of its error.
async fn outcome(ctx: &KqlContext, text: &str) -> String {
    let result = async {
        let frames = ctx.kql_all(text).await.map_err(|e| e.to_string())?;
        for df in frames {
            df.collect().await.map_err(|e| e.strip_backtrace())?;
        }
        Ok::<(), String>(())
    };
    match AssertUnwindSafe(result).catch_unwind().await {
        Ok(Ok(())) => "runs".to_owned(),
        Ok(Err(e)) => e.lines().next().unwrap_or("").trim().to_owned(),
        Err(_) => "PANIC".to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_hunting_queries() {
    let schemas_dir = shared().join("schema/tables");
    let lake = tempfile::tempdir().expect("tempdir");
    let config = DocConfig { rows: 400, devices: 40, batch_size: 400, ..DocConfig::default() };
    let now = config.now;
    let generator = DocumentedGenerator::new(load_schemas(&schemas_dir).expect("schemas"), config);
    write_documented_lake(&generator, lake.path(), &DocLakeOptions::default()).expect("lake");
    let schemas = DocumentedSchemas::from_dir(&schemas_dir).expect("schemas");
    let queries = queries();
    let mirror = tempfile::tempdir().expect("tempdir");
    feed_mirror(&queries, mirror.path());
    let ctx = KqlContext::builder()
        .now(now)
        .documented_schemas(schemas)
        .externaldata(ExternalDataOptions::new().mirror(mirror.path()))
        .build()
        .expect("context");
    ctx.register_lake(lake.path()).await.expect("register");

    assert_eq!(queries.len(), 510, "the corpus has 510 queries");
    let mut lines = String::new();
    let mut runs = 0;
    let mut panics = Vec::new();
    for (name, text) in &queries {
        let o = outcome(&ctx, text).await;
        if o == "runs" {
            runs += 1;
        }
        if o == "PANIC" {
            panics.push(name.clone());
        }
        let _ = writeln!(lines, "{name}: {o}");
    }
    assert!(panics.is_empty(), "queries panicked: {panics:?}");
    let report = format!("{runs} of {} queries run\n\n{lines}", queries.len());
    insta::assert_snapshot!("hunting_corpus", report);
}
