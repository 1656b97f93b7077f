//! `kql query`: run a query and write its results.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use futures::StreamExt as _;
use kql_engine::KqlContext;

use crate::failure::{CliResult, Failure};
use crate::input::{self, QueryText};
use crate::output::{Format, ResultWriter, Sink};
use crate::session::LakeArgs;

/// Arguments of `kql query`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The query text, or `-` to read it from standard input (also the default when no file is
    /// given).
    pub(crate) query: Option<String>,
    /// Read the query from a file.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) lake: LakeArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Write to this file instead of standard output (it appears only when complete).
    #[arg(short = 'o', long, value_name = "PATH")]
    pub(crate) output: Option<PathBuf>,
    /// Run each blank-line-separated block of the text as its own query (as Kusto Explorer
    /// does), reporting each result or error; the exit status is 1 when any block fails.
    #[arg(long)]
    pub(crate) blocks: bool,
}

pub(crate) fn run(args: &Args) -> CliResult {
    if args.format == Format::Parquet && args.output.is_none() {
        return Err(Failure::usage("kql: --format parquet needs --output PATH"));
    }
    let q = input::read(args.query.as_deref(), args.file.as_deref())?;
    let rt = args.lake.runtime()?;
    rt.block_on(bounded(args.lake.timeout, async {
        let ctx = args.lake.context_for(args.file.as_deref()).await?;
        let result = run_to(args, &ctx, &q).await;
        crate::session::warn_skipped(&ctx);
        result
    }))
}

/// Runs the query into the output `args` ask for.
async fn run_to(args: &Args, ctx: &KqlContext, q: &QueryText) -> CliResult {
    if let Some(kind) = args.output.as_deref().and_then(chart_kind) {
        let path = args.output.as_deref().unwrap_or(Path::new(""));
        return write_chart(ctx, q, &args.lake.parameters(), path, kind).await;
    }
    let sink = Sink::create(args.output.as_deref())?;
    let writer = ResultWriter::new(args.format, sink);
    if args.blocks {
        return run_blocks(ctx, q, &args.lake.parameters(), writer).await;
    }
    run_query(ctx, q, &args.lake.parameters(), writer).await
}

/// Plans every statement, then streams each result into the writer.
pub(crate) async fn run_query(
    ctx: &KqlContext,
    q: &QueryText,
    parameters: &kql_engine::QueryParameters,
    mut writer: ResultWriter,
) -> CliResult {
    let results = ctx.results(&q.text, parameters).await.map_err(|e| query_error(&e, q))?;
    for result in results {
        let schema = std::sync::Arc::clone(result.frame.schema().inner());
        // A named result (a fork leg's) says its name first, on a terminal.
        if let Some(name) = &result.name
            && writer.shows_notes()
        {
            writer.note(&format!("{name}:"))?;
        }
        writer.begin(std::sync::Arc::clone(&schema))?;
        let mut stream = result.frame.execute_stream().await.map_err(|e| run_error(&e.into()))?;
        while let Some(batch) = stream.next().await {
            writer.batch(&batch.map_err(|e| run_error(&e.into()))?)?;
        }
        writer.end()?;
        // On a terminal, a rendered result says what chart it would draw.
        if let Some(v) = &result.visualization
            && writer.shows_notes()
        {
            writer.note(&crate::chart::describe(v, &schema))?;
        }
    }
    writer.finish()
}

/// The chart format an output path asks for, by its extension.
fn chart_kind(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "svg" => Some("svg"),
        "html" | "htm" => Some("html"),
        "png" => Some("png"),
        _ => None,
    }
}

/// `-o chart.svg` / `.png` / `.html`: the chart of the last result that ends with `render`.
async fn write_chart(
    ctx: &KqlContext,
    q: &QueryText,
    parameters: &kql_engine::QueryParameters,
    path: &Path,
    kind: &str,
) -> CliResult {
    let results = ctx.results(&q.text, parameters).await.map_err(|e| query_error(&e, q))?;
    let Some(result) = results.into_iter().rev().find(|r| r.visualization.is_some()) else {
        return Err(Failure::query(format!(
            "kql: {} is a chart, but the query has no `render`; end it with `| render timechart` (or another \
             visualization), or write the rows to a .csv, .json or .parquet file",
            path.display()
        )));
    };
    let schema = std::sync::Arc::clone(result.frame.schema().inner());
    let batches = result.frame.collect().await.map_err(|e| run_error(&e.into()))?;
    let v = result.visualization.as_ref().ok_or_else(|| Failure::query("kql: internal error: no visualization"))?;
    let bytes = match kind {
        "svg" => crate::chart::svg(v, &schema, &batches).map(String::into_bytes),
        "png" => crate::chart::png(v, &schema, &batches),
        _ => crate::chart::html(v, &schema, &batches).map(String::into_bytes),
    }
    .map_err(|e| Failure::query(format!("kql: {e}")))?;
    let mut sink = Sink::create(Some(path))?;
    std::io::Write::write_all(&mut sink, &bytes).map_err(crate::output::write_error)?;
    sink.commit()
}

/// `--blocks`: each block planned and run on its own; errors are reported (with the file's own
/// line numbers) and the next block runs.
async fn run_blocks(
    ctx: &KqlContext,
    q: &QueryText,
    parameters: &kql_engine::QueryParameters,
    mut writer: ResultWriter,
) -> CliResult {
    let blocks = input::blocks(&q.text);
    let mut failed = 0;
    for (i, (line, text)) in blocks.iter().enumerate() {
        writer.note(&format!("== block {} (line {line}) ==", i + 1))?;
        // Padded so errors point at the file's lines.
        let block = QueryText { name: q.name.clone(), text: format!("{}{text}", "\n".repeat(line - 1)) };
        let frames = match ctx.kql_all_with_parameters(&block.text, parameters).await {
            Ok(frames) => frames,
            Err(e) => {
                eprintln!("{}", query_error(&e, &block).message);
                failed += 1;
                continue;
            }
        };
        for df in frames {
            // Collected first, so a block that fails while running writes nothing half-way.
            let schema = std::sync::Arc::clone(df.schema().inner());
            match df.collect().await {
                Ok(batches) => {
                    writer.begin(schema)?;
                    for b in &batches {
                        writer.batch(b)?;
                    }
                    writer.end()?;
                }
                Err(e) => {
                    eprintln!("{}", run_error(&e.into()).message);
                    failed += 1;
                    break;
                }
            }
        }
    }
    writer.finish()?;
    if failed > 0 {
        return Err(Failure::query(format!("kql: {failed} of {} blocks failed", blocks.len())));
    }
    Ok(())
}

/// A planning error drawn against the query, with colours on a terminal.
pub(crate) fn query_error(e: &kql_engine::KqlError, q: &QueryText) -> Failure {
    // An error that is not about a place in the text (a bad file, a failed read) says so plainly.
    if e.span().is_none() && !matches!(e, kql_engine::KqlError::Parse(_)) {
        return run_error(e);
    }
    Failure::query(e.render_named(&q.text, &q.name, std::io::stderr().is_terminal()).trim_end().to_owned())
}

/// An error while running (reading files, executing).
pub(crate) fn run_error(e: &kql_engine::KqlError) -> Failure {
    Failure::query(format!("kql: {e}"))
}

/// Runs `work`, stopping it on Ctrl-C (whatever it was writing is dropped, so a temporary
/// output file is removed).
pub(crate) async fn interruptible<T>(work: impl Future<Output = CliResult<T>>) -> CliResult<T> {
    bounded(None, work).await
}

/// Runs `work`, stopping it on Ctrl-C or after `limit` (what it was writing is dropped, so a
/// temporary output file is removed, and its running tasks are cancelled).
pub(crate) async fn bounded<T>(
    limit: Option<std::time::Duration>,
    work: impl Future<Output = CliResult<T>>,
) -> CliResult<T> {
    let deadline = async {
        match limit {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        r = work => r,
        _ = tokio::signal::ctrl_c() => Err(Failure::interrupted()),
        () = deadline => Err(Failure::timed_out(limit.unwrap_or_default())),
    }
}
