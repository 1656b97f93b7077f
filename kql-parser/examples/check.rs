//! Parses every rule in the RMM hunting corpus (or the folders/files given) and reports
//! which parse, round-trip through `Display`, and which fail with a located error.
//!
//! ```text
//! cargo run -p kql-parser --example check                  # ../shared/corpus, both rule sets
//! cargo run -p kql-parser --example check -- rules/ q.kql  # your own files
//! ```

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all targets

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

fn queries_in(path: &Path) -> Vec<(String, String)> {
    let files = if path.is_dir() {
        let mut v = common::files(path, "yaml");
        v.extend(common::files(path, "kql"));
        v
    } else {
        vec![path.to_path_buf()]
    };
    files
        .into_iter()
        .filter_map(|f| {
            let text = match std::fs::read_to_string(&f) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("cannot read {}: {e}", f.display());
                    return None;
                }
            };
            let query = if f.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                common::yaml_query(&text)?
            } else {
                text
            };
            Some((f.display().to_string(), query))
        })
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let paths = if args.is_empty() {
        let shared = common::shared_dir();
        vec![shared.join("corpus/rmm-tools/rules"), shared.join("corpus/sentinel-rmm")]
    } else {
        args
    };
    let queries: Vec<(String, String)> = paths.iter().flat_map(|p| queries_in(p)).collect();
    let started = Instant::now();
    let mut failed = 0;
    for (name, text) in &queries {
        match kql_parser::parse(text) {
            Ok(q) => {
                if kql_parser::parse(&q.to_string()).ok().as_ref() != Some(&q) {
                    failed += 1;
                    eprintln!("{name}: parses, but its canonical form does not round-trip (a bug)");
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("{}", e.render_named(text, name, false));
            }
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{} queries: {} parse and round-trip, {failed} fail ({:.2} ms per query, debug build: use --release for speed)",
        queries.len(),
        queries.len() - failed,
        elapsed.as_secs_f64() * 1000.0 / queries.len().max(1) as f64,
    );
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
