//! `kql demo`: make a demo lake, run the built-in hunts on it, show what they found, how fast,
//! and that it is exactly the planted activity.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kql_engine::KqlContext;
use rmm_rules::{Catalog, RuleSource, Runner, Status};
use testdata::{Generator, LakeOptions, Manifest};

use crate::failure::{CliResult, Failure};
use crate::hunt::{findings, run_with_progress};
use crate::query::interruptible;
use crate::session::runtime;

/// The demo's clock: the generated telemetry ends here.
const DEMO_NOW: &str = "2024-06-01T12:00:00Z";

/// Arguments of `kql demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Folder for the demo lake (default: `kql-demo-lake` in the temporary folder). A lake made
    /// earlier with the same settings is reused.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Background rows per event table.
    #[arg(long, default_value_t = 2_000_000)]
    rows: u64,
    /// Random seed of the generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Threads to run the hunts on (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Make the lake again even when the folder holds it already.
    #[arg(long)]
    fresh: bool,
}

pub(crate) fn run(args: &Args) -> CliResult {
    let dir = args.dir.clone().unwrap_or_else(|| std::env::temp_dir().join("kql-demo-lake"));
    let generator = Generator::builder()
        .seed(args.seed)
        .rows(args.rows)
        .now_rfc3339(DEMO_NOW)
        .and_then(|b| b.build())
        .map_err(|e| Failure::usage(format!("kql: {e}")))?;
    let manifest = generator.manifest();
    prepare_lake(&dir, &generator, &manifest, args.fresh)?;

    let now = testdata::parse_rfc3339(&manifest.generator.now).map_err(|e| Failure::query(format!("kql: {e}")))?;
    let rt = runtime(args.threads)?;
    let report = rt.block_on(interruptible(async {
        let mut builder = KqlContext::builder().now(now);
        if let Some(n) = args.threads {
            builder = builder.target_partitions(usize::from(n));
        }
        let ctx = builder.build().map_err(|e| Failure::query(format!("kql: {e}")))?;
        ctx.register_lake(&dir).await.map_err(|e| Failure::query(format!("kql: {e}")))?;
        let runner = Runner::new(ctx).max_rows(20);
        Ok(run_with_progress(&runner, &Catalog::builtin()).await)
    }))?;

    println!("\nThe four seed hunts (Atera, Action1), verbatim, with now() = {DEMO_NOW}:\n");
    print!("{}", report.summary());
    print!("{}", findings(&report, std::io::IsTerminal::is_terminal(&std::io::stdout()))?);

    let scanned: u64 = report.results.iter().map(|r| r.rows_scanned).sum();
    let secs = report.elapsed.as_secs_f64();
    println!(
        "\nspeed: {scanned} rows scanned in {secs:.2} s ({:.1} M rows/s, rules run concurrently)",
        scanned as f64 / secs.max(1e-9) / 1e6
    );

    let mut wrong = Vec::new();
    for r in &report.results {
        let RuleSource::Builtin(file) = &r.rule.source else { continue };
        let Some(expected) = manifest.rules.iter().find(|e| e.file == format!("sentinel-rmm/{file}")) else {
            wrong.push(format!("{file}: no ground truth"));
            continue;
        };
        let outcome = match &r.status {
            Status::Hits | Status::NoHits if !r.truncated() => Ok(r.batches.as_slice()),
            Status::Hits | Status::NoHits => Err("more rows than the demo keeps"),
            Status::Skipped { .. } => Err("skipped"),
            Status::Failed(_) => Err("failed"),
        };
        if let Err(e) = testdata::check_result(expected, outcome) {
            wrong.push(format!("{file}: {e}"));
        }
    }
    if wrong.is_empty() {
        println!(
            "ground truth: all {} hunts returned exactly the planted activity (manifest: {})",
            report.results.len(),
            dir.join("manifest.json").display()
        );
        println!("\nnext: kql query --lake {} --now {DEMO_NOW} 'DeviceNetworkEvents | take 5'", dir.display());
        Ok(())
    } else {
        Err(Failure::query(format!("kql: hunts that differ from the ground truth:\n{}", wrong.join("\n"))))
    }
}

/// Writes the lake unless `dir` already holds this exact one. Refuses to write into a folder
/// that holds anything other than a generated lake.
fn prepare_lake(dir: &Path, generator: &Generator, manifest: &Manifest, fresh: bool) -> CliResult {
    let existing = std::fs::read_to_string(dir.join("manifest.json")).ok();
    let same =
        existing.as_deref().and_then(|t| serde_json::from_str::<Manifest>(t).ok()).is_some_and(|m| &m == manifest);
    let complete = testdata::Table::ALL.iter().all(|t| dir.join(format!("{}.parquet", t.name())).is_file());
    if same && complete && !fresh {
        eprintln!("using the demo lake in {} (made earlier; --fresh makes it again)", dir.display());
        return Ok(());
    }
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if occupied && existing.is_none() {
        return Err(Failure::usage(format!(
            "kql: {} is not empty and holds no generated lake; choose another --dir",
            dir.display()
        )));
    }
    let rows = manifest.generator.rows.values().sum::<u64>();
    eprintln!("making a demo lake in {} ({rows} rows in 6 Defender tables)...", dir.display());
    let started = Instant::now();
    let summary = testdata::write_lake(generator, dir, &LakeOptions::default())
        .map_err(|e| Failure::query(format!("kql: {e}")))?;
    eprint!("{summary}");
    eprintln!("made in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
