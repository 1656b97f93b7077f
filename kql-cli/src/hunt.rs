//! `kql hunt`: run a catalog of hunting rules over a lake.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rmm_rules::{Catalog, Report, Runner, Selection, SelectionError, Status};

use crate::failure::{CliResult, Failure};
use crate::output::{Sink, render_table, write_error};
use crate::query::bounded;
use crate::session::LakeArgs;

/// Arguments of `kql hunt`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) lake: LakeArgs,
    /// A rule file, or a folder of rule YAML searched recursively (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub(crate) rules: Vec<PathBuf>,
    /// Run the built-in seed hunts too (the default when no --rules is given).
    #[arg(long)]
    pub(crate) builtin: bool,
    /// Only rules whose id, name or file name matches this glob, ignoring case; a pattern
    /// without `*` matches anywhere (repeatable: any may match).
    #[arg(long = "filter", value_name = "PATTERN")]
    pub(crate) filters: Vec<String>,
    /// Only rules with this MITRE tactic (repeatable).
    #[arg(long, value_name = "TACTIC")]
    pub(crate) tactic: Vec<String>,
    /// Only rules with this MITRE technique or a sub-technique of it (repeatable).
    #[arg(long, value_name = "TECHNIQUE")]
    pub(crate) technique: Vec<String>,
    /// Only rules that read this table (repeatable).
    #[arg(long = "rule-table", value_name = "TABLE")]
    pub(crate) rule_tables: Vec<String>,
    /// `summary` (a table of rules, then the findings), `ndjson` (one object per rule) or
    /// `json` (an array of them).
    #[arg(long, value_enum, default_value_t = HuntFormat::Summary)]
    pub(crate) format: HuntFormat,
    /// Write to this file instead of standard output (it appears only when complete).
    #[arg(short = 'o', long, value_name = "PATH")]
    pub(crate) output: Option<PathBuf>,
    /// Result rows kept per rule in the output (all of them are counted).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) max_rows: usize,
    /// Rules run at a time (default: one per core).
    #[arg(long, value_name = "N")]
    pub(crate) concurrency: Option<usize>,
    /// Exit with status 1 when a rule fails or a rule file cannot be read.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Run every rule with its own scans, instead of reading each table once for all the rules
    /// that filter it (the answers are the same; this is for comparing).
    #[arg(long)]
    pub(crate) no_shared_scans: bool,
}

/// How `kql hunt` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum HuntFormat {
    /// A table of the rules, then each rule's findings.
    Summary,
    /// One JSON object per rule, per line.
    Ndjson,
    /// A JSON array of the rule objects.
    Json,
}

pub(crate) fn run(args: &Args) -> CliResult {
    if args.lake.lake.is_none() && args.lake.tables.is_empty() {
        return Err(Failure::usage("kql: `kql hunt` needs --lake DIR (or --table NAME=PATH)"));
    }
    let catalog = catalog(args)?;
    if catalog.is_empty() && catalog.problems().is_empty() {
        return Err(Failure::query("kql: no rule matches the filters"));
    }
    let rt = args.lake.runtime()?;
    let report = rt.block_on(bounded(args.lake.timeout, async {
        let ctx = args.lake.context().await?;
        let mut runner = Runner::new(ctx.clone()).max_rows(args.max_rows).shared_scans(!args.no_shared_scans);
        if let Some(n) = args.concurrency {
            runner = runner.concurrency(n);
        }
        let report = run_with_progress(&runner, &catalog).await;
        crate::session::warn_skipped(&ctx);
        Ok(report)
    }))?;
    write_report(&report, args.format, args.output.as_deref())?;
    if args.lake.now.is_none() && report.counts().hits == 0 {
        hint_generated_now(args);
    }
    let c = report.counts();
    if args.strict && (c.failed > 0 || c.unreadable > 0) {
        return Err(Failure::query(format!("kql: {} rule(s) failed, {} file(s) unreadable", c.failed, c.unreadable)));
    }
    Ok(())
}

/// The rules: the files and folders given, the built-in hunts, filtered.
pub(crate) fn catalog(args: &Args) -> CliResult<Catalog> {
    let selection = Selection {
        rules: args.rules.clone(),
        builtin: args.builtin,
        patterns: args.filters.clone(),
        tactics: args.tactic.clone(),
        techniques: args.technique.clone(),
        tables: args.rule_tables.clone(),
    };
    selection.catalog().map_err(|e| match e {
        SelectionError::Load(e) => Failure::query(format!("kql: {e}")),
        SelectionError::Pattern(e) => Failure::usage(format!("kql: {e}")),
    })
}

/// Runs the catalog with a progress bar on stderr when it is a terminal.
pub(crate) async fn run_with_progress(runner: &Runner, catalog: &Catalog) -> Report {
    let target =
        if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
    let bar = ProgressBar::with_draw_target(Some(catalog.len() as u64), target);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} rules {elapsed} {msg}") {
        bar.set_style(style);
    }
    let mut hits = 0;
    let report = runner
        .run_with(catalog, |r| {
            if matches!(r.status, Status::Hits) {
                hits += 1;
                bar.set_message(format!("{hits} with hits"));
            }
            bar.inc(1);
        })
        .await;
    bar.finish_and_clear();
    report
}

/// Writes the report in a format.
pub(crate) fn write_report(report: &Report, format: HuntFormat, output: Option<&std::path::Path>) -> CliResult {
    let mut sink = Sink::create(output)?;
    let terminal = sink.is_terminal();
    match format {
        HuntFormat::Summary => {
            sink.write_all(report.summary().as_bytes()).map_err(write_error)?;
            sink.write_all(findings(report, terminal)?.as_bytes()).map_err(write_error)?;
        }
        HuntFormat::Ndjson => report.write_jsonl(&mut sink).map_err(write_error)?,
        HuntFormat::Json => {
            let values = report.json_values().map_err(|e| Failure::query(format!("kql: {e}")))?;
            serde_json::to_writer_pretty(&mut sink, &values).map_err(|e| write_error(e.into()))?;
            sink.write_all(b"\n").map_err(write_error)?;
        }
    }
    sink.commit()
}

/// Each rule with hits and its rows as a table.
pub(crate) fn findings(report: &Report, terminal: bool) -> CliResult<String> {
    let mut out = String::new();
    for r in report.results.iter().filter(|r| matches!(r.status, Status::Hits)) {
        let Some(first) = r.batches.first() else { continue };
        let shown: usize = r.batches.iter().map(|b| b.num_rows()).sum();
        let more = if r.truncated() { format!(", showing {shown}") } else { String::new() };
        out.push_str(&format!("\n{} ({} row(s){more}):\n", r.rule.name, r.row_count));
        out.push_str(&render_table(&first.schema(), &r.batches, terminal)?);
    }
    Ok(out)
}

/// A lake made by `kql gen` holds activity around its own `now`; say so when nothing was found.
fn hint_generated_now(args: &Args) {
    let Some(dir) = &args.lake.lake else { return };
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else { return };
    let Ok(manifest) = serde_json::from_str::<testdata::Manifest>(&text) else { return };
    eprintln!(
        "note: {} was generated for now = {}; add --now {} to hunt in its time window",
        dir.display(),
        manifest.generator.now,
        manifest.generator.now
    );
}
