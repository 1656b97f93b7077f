//! `hunt-bench`: runs the seed hunts in-process over a lake, with our engine (KQL text,
//! verbatim) and with the best hand-written DataFusion plan, and prints one JSON object per
//! engine and hunt: the median and every run's time (session built outside the timing, one
//! warm-up run, the engines' runs interleaved), and the rows in a normal form for cross-engine
//! checks. The comparison harness (`benches/compare/compare.py`) calls it.
//!
//! ```text
//! hunt-bench --lake DIR [--runs 5] [--engine kql|datafusion|both]
//! hunt-bench --rows 10000000 [--layout file|hive]   # a cached benchmark lake
//! hunt-bench --rows 1000000 --explain --hunts B      # both engines' plans, side by side
//! hunt-bench --suite dynamic --rows 10000000         # the `dynamic` queries over DeviceEvents
//! ```

// The binary sees the library's dependencies; it uses the library.
#![allow(unused_crate_dependencies)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use benches::{SeedHunt, bench_lake, context, hand_written, normalize, seed_hunts};
use clap::Parser;
use kql_engine::KqlContext;
use serde_json::json;
use testdata::Layout;

/// The `kql` binary's allocator, so in-process figures are what the CLI gets.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "hunt-bench", about = "Time the seed hunts in-process")]
struct Cli {
    /// The lake (default: the cached benchmark lake of --rows rows).
    #[arg(long)]
    lake: Option<PathBuf>,
    /// Rows per table of the cached benchmark lake.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Layout of the cached benchmark lake.
    #[arg(long, default_value = "file")]
    layout: Layout,
    /// Timed runs per hunt (after one warm-up).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// `kql`, `datafusion` or `both`.
    #[arg(long, default_value = "both")]
    engine: String,
    /// Only these hunts (A, B, C, D).
    #[arg(long, value_delimiter = ',')]
    hunts: Vec<String>,
    /// Print each engine's optimized logical and physical plans instead of timing them.
    #[arg(long)]
    explain: bool,
    /// `seed` (the seed hunts) or `dynamic` (member access on `DeviceEvents.AdditionalFields`).
    #[arg(long, default_value = "seed")]
    suite: String,
    /// With `--suite dynamic`: register the lake without the documented schemas, so
    /// `AdditionalFields` is a plain string column (read as string views) that only
    /// `parse_json` makes `dynamic`.
    #[arg(long)]
    plain_strings: bool,
}

async fn plan(ctx: &KqlContext, hunt: &SeedHunt, engine: &str) -> Result<datafusion::dataframe::DataFrame, String> {
    match engine {
        "kql" => ctx.kql(&hunt.kql).await.map_err(|e| e.to_string()),
        _ => hand_written(ctx, hunt).await.map_err(|e| e.to_string()),
    }
}

async fn explain(ctx: &KqlContext, hunt: &SeedHunt, engine: &str) -> Result<(), String> {
    let df = plan(ctx, hunt, engine).await?;
    let batches = df.explain(false, false).map_err(|e| e.to_string())?.collect().await.map_err(|e| e.to_string())?;
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).map_err(|e| e.to_string())?;
    println!("hunt {} ({engine}):\n{text}", hunt.key);
    Ok(())
}

async fn once(ctx: &KqlContext, hunt: &SeedHunt, engine: &str) -> Result<(f64, Vec<serde_json::Value>), String> {
    let started = Instant::now();
    let df = plan(ctx, hunt, engine).await?;
    let batches = df.collect().await.map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    Ok((secs, normalize(&batches).map_err(|e| e.to_string())?))
}

/// The `dynamic` suite: each query of [`benches::DYNAMIC_QUERIES`], ours only (the other
/// engines' formulations are the harness's).
async fn run_dynamic(cli: &Cli) -> Result<(), String> {
    let lake = match &cli.lake {
        Some(l) => l.clone(),
        None => benches::dynamic_lake(cli.rows).map_err(|e| e.to_string())?,
    };
    let ctx = if cli.plain_strings { context(&lake).await } else { benches::documented_context(&lake).await }
        .map_err(|e| e.to_string())?;
    for (key, kql) in benches::DYNAMIC_QUERIES {
        if !cli.hunts.is_empty() && !cli.hunts.iter().any(|h| h == key) {
            continue;
        }
        if cli.explain {
            let df = ctx.kql(kql).await.map_err(|e| e.to_string())?;
            let batches =
                df.explain(false, false).map_err(|e| e.to_string())?.collect().await.map_err(|e| e.to_string())?;
            let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).map_err(|e| e.to_string())?;
            println!("{key}:\n{text}");
            continue;
        }
        let time = |ctx: KqlContext| async move {
            let started = Instant::now();
            let batches = ctx.kql(kql).await.map_err(|e| e.to_string())?.collect().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((started.elapsed().as_secs_f64(), normalize(&batches).map_err(|e| e.to_string())?))
        };
        let rows = time(ctx.clone()).await?.1;
        let mut times = Vec::with_capacity(cli.runs);
        for _ in 0..cli.runs {
            times.push(time(ctx.clone()).await?.0);
        }
        let line = json!({
            "engine": "kql (ours)",
            "hunt": key,
            "kql": kql,
            "median_s": median(&times),
            "runs_s": times,
            "rows": rows,
        });
        println!("{line}");
    }
    Ok(())
}

async fn run(cli: &Cli) -> Result<(), String> {
    if cli.suite == "dynamic" {
        return run_dynamic(cli).await;
    }
    if cli.suite != "seed" {
        return Err(format!("unknown suite `{}`; use seed or dynamic", cli.suite));
    }
    let lake = match &cli.lake {
        Some(l) => l.clone(),
        None => bench_lake(cli.rows, cli.layout).map_err(|e| e.to_string())?,
    };
    let ctx = context(&lake).await.map_err(|e| e.to_string())?;
    let engines: Vec<&str> = match cli.engine.as_str() {
        "both" => vec!["kql", "datafusion"],
        "kql" => vec!["kql"],
        "datafusion" => vec!["datafusion"],
        other => return Err(format!("unknown engine `{other}`")),
    };
    for hunt in seed_hunts() {
        if !cli.hunts.is_empty() && !cli.hunts.iter().any(|h| h.eq_ignore_ascii_case(hunt.key)) {
            continue;
        }
        if cli.explain {
            for engine in &engines {
                explain(&ctx, &hunt, engine).await?;
            }
            continue;
        }
        // One warm-up per engine, then the timed runs interleaved (the engines take turns going
        // first), so drift on a shared machine falls on both alike.
        let mut rows = Vec::with_capacity(engines.len());
        for engine in &engines {
            rows.push(once(&ctx, &hunt, engine).await?.1);
        }
        let mut times = vec![Vec::with_capacity(cli.runs); engines.len()];
        for run in 0..cli.runs {
            for k in 0..engines.len() {
                let e = (k + run) % engines.len();
                times[e].push(once(&ctx, &hunt, engines[e]).await?.0);
            }
        }
        for ((engine, times), rows) in engines.iter().zip(times).zip(rows) {
            let line = json!({
                "engine": if *engine == "kql" { "kql (ours)" } else { "datafusion (hand-written)" },
                "hunt": hunt.key,
                "name": hunt.name,
                "table": hunt.table,
                "kql": hunt.kql,
                "median_s": median(&times),
                "runs_s": times,
                "rows": rows,
            });
            println!("{line}");
        }
    }
    Ok(())
}

fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hunt-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(&cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hunt-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
