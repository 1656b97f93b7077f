//! `kql shell`: an interactive prompt over a lake, with history and multi-line input.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Instant;

use futures::StreamExt as _;
use kql_engine::KqlContext;
use kql_engine::planner::KqlType;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};

use crate::failure::{CliResult, Failure};
use crate::input::QueryText;
use crate::output::{Format, ResultWriter, Sink};
use crate::query::{interruptible, query_error, run_error};
use crate::session::{LakeArgs, parse_now};

/// Arguments of `kql shell`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    lake: LakeArgs,
    /// History file (default: `~/.kql_history`).
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
}

const HELP: &str = "\
Type KQL; end it with `;` or an empty line to run it. Commands:
  .tables              the tables and their row counts
  .schema TABLE        a table's columns and types
  .format FORMAT       table, csv, json or ndjson
  .timing on|off       show the time each query takes
  .now [RFC3339|wall]  pin now() to a time, or follow the wall clock
  .help                this text
  .quit                leave (also Ctrl-D)";

struct Shell {
    ctx: KqlContext,
    /// `--param` values for `declare query_parameters`.
    parameters: kql_engine::QueryParameters,
    format: Format,
    timing: bool,
}

pub(crate) fn run(args: &Args) -> CliResult {
    let rt = args.lake.runtime()?;
    let ctx = rt.block_on(args.lake.context())?;
    let mut editor: Editor<(), DefaultHistory> = Editor::with_config(Config::builder().auto_add_history(false).build())
        .map_err(|e| Failure::query(format!("kql: cannot start the prompt: {e}")))?;
    let history =
        args.history.clone().or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kql_history")));
    if let Some(h) = &history {
        let _ = editor.load_history(h); // a missing history file is normal
    }
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "kql shell: {} table(s). End a query with `;` or an empty line; .help for commands.",
            ctx.table_names().len()
        );
    }
    let mut shell = Shell { ctx, parameters: args.lake.parameters(), format: Format::Table, timing: interactive };
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { "kql> " } else { "...> " };
        match editor.readline(prompt) {
            Ok(line) => {
                let trimmed = line.trim();
                if buffer.is_empty() && trimmed.starts_with('.') {
                    let _ = editor.add_history_entry(trimmed);
                    if !rt.block_on(shell.command(trimmed)) {
                        break;
                    }
                    continue;
                }
                let ends = trimmed.is_empty() || trimmed.ends_with(';');
                if !trimmed.is_empty() {
                    if !buffer.is_empty() {
                        buffer.push('\n');
                    }
                    buffer.push_str(line.trim_end().strip_suffix(';').unwrap_or(line.trim_end()));
                }
                if ends && !buffer.trim().is_empty() {
                    let _ = editor.add_history_entry(buffer.as_str());
                    rt.block_on(shell.query(&std::mem::take(&mut buffer)));
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => {
                if !buffer.trim().is_empty() {
                    rt.block_on(shell.query(&std::mem::take(&mut buffer)));
                }
                break;
            }
            Err(e) => return Err(Failure::query(format!("kql: {e}"))),
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}

impl Shell {
    /// Runs a query and prints its results (errors are printed; the shell goes on).
    async fn query(&self, text: &str) {
        let q = QueryText { name: "query".into(), text: text.to_owned() };
        let started = Instant::now();
        let result = interruptible(async {
            let frames =
                self.ctx.kql_all_with_parameters(&q.text, &self.parameters).await.map_err(|e| query_error(&e, &q))?;
            let mut rows = 0;
            let mut writer = ResultWriter::new(self.format, Sink::create(None)?);
            for df in frames {
                writer.begin(std::sync::Arc::clone(df.schema().inner()))?;
                let mut stream = df.execute_stream().await.map_err(|e| run_error(&e.into()))?;
                while let Some(b) = stream.next().await {
                    let b = b.map_err(|e| run_error(&e.into()))?;
                    rows += b.num_rows();
                    writer.batch(&b)?;
                }
                writer.end()?;
            }
            writer.finish()?;
            Ok::<usize, Failure>(rows)
        })
        .await;
        match result {
            Ok(rows) if self.timing => {
                eprintln!("{rows} row(s) in {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
            }
            Ok(_) => {}
            Err(f) => eprintln!("{}", f.message),
        }
    }

    /// A dot command; `false` to leave.
    async fn command(&mut self, line: &str) -> bool {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or("");
        let arg = words.next();
        match (name, arg) {
            (".quit" | ".exit", _) => return false,
            (".help", _) => println!("{HELP}"),
            (".tables", _) => {
                for t in self.ctx.table_names() {
                    let q = QueryText { name: "tables".into(), text: format!("['{t}'] | count") };
                    let count = match self.ctx.kql(&q.text).await {
                        Ok(df) => df.collect().await.ok().and_then(|b| {
                            b.first().and_then(|b| kql_engine::format::text_value(b.column(0).as_ref(), 0).ok())
                        }),
                        Err(_) => None,
                    };
                    println!("{t}  {} rows", count.unwrap_or_else(|| "?".into()));
                }
            }
            (".schema", Some(table)) => {
                match self.ctx.session().table_provider(datafusion::common::TableReference::bare(table)).await {
                    Ok(p) => {
                        for f in p.schema().fields() {
                            println!("{}  {}", f.name(), KqlType::of(f.data_type()).name());
                        }
                    }
                    Err(_) => eprintln!("no table `{table}`; .tables lists them"),
                }
            }
            (".format", Some(f)) => match f {
                "table" => self.format = Format::Table,
                "csv" => self.format = Format::Csv,
                "json" => self.format = Format::Json,
                "ndjson" => self.format = Format::Ndjson,
                other => eprintln!("unknown format `{other}`: table, csv, json or ndjson"),
            },
            (".timing", Some("on")) => self.timing = true,
            (".timing", Some("off")) => self.timing = false,
            (".now", None | Some("wall")) => self.ctx.set_now(None),
            (".now", Some(t)) => match parse_now(t) {
                Ok(ns) => self.ctx.set_now(Some(ns)),
                Err(e) => eprintln!("{e}"),
            },
            _ => eprintln!("unknown command `{line}`; .help lists them"),
        }
        true
    }
}
