//! `kql tables`: the tables of a lake, with their files, row counts and schemas.

use std::fs::File;
use std::path::PathBuf;

use datafusion::parquet::file::metadata::ParquetMetaDataReader;
use kql_engine::planner::KqlType;
use serde_json::json;

use crate::failure::{CliResult, Failure};
use crate::query::interruptible;
use crate::session::LakeArgs;

/// Arguments of `kql tables`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    lake: LakeArgs,
    /// `text` (the default) or `json`.
    #[arg(long, value_enum, default_value_t = TablesFormat::Text)]
    format: TablesFormat,
}

/// How `kql tables` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum TablesFormat {
    /// For people.
    Text,
    /// One JSON array of tables, each with its files and columns.
    Json,
}

/// Files listed per table in the text format before "... and N more".
const FILES_SHOWN: usize = 8;

pub(crate) fn run(args: &Args) -> CliResult {
    let Some(dir) = args.lake.lake.clone() else {
        return Err(Failure::usage("kql: `kql tables` needs --lake DIR"));
    };
    let rt = args.lake.runtime()?;
    rt.block_on(interruptible(async {
        let ctx = args.lake.context().await?;
        let mut tables = kql_engine::lake_tables(&dir).map_err(|e| Failure::query(format!("kql: {e}")))?;
        for (name, path) in &args.lake.tables {
            tables.push(kql_engine::LakeTable { name: name.clone(), path: path.clone() });
        }
        let mut out = Vec::new();
        for t in &tables {
            let provider = ctx
                .session()
                .table_provider(datafusion::common::TableReference::bare(t.name.as_str()))
                .await
                .map_err(|e| Failure::query(format!("kql: table {}: {e}", t.name)))?;
            let mut files = Vec::new();
            for path in t.files().map_err(|e| Failure::query(format!("kql: {e}")))? {
                let (rows, bytes) = footer(&path)?;
                files.push((path, rows, bytes));
            }
            out.push((t, provider.schema(), files));
        }
        match args.format {
            TablesFormat::Json => {
                let value: Vec<_> = out
                    .iter()
                    .map(|(t, schema, files)| {
                        json!({
                            "name": t.name,
                            "path": t.path.display().to_string(),
                            "rows": files.iter().map(|f| f.1).sum::<u64>(),
                            "bytes": files.iter().map(|f| f.2).sum::<u64>(),
                            "files": files.iter().map(|(p, r, b)| json!({"path": p.display().to_string(), "rows": r, "bytes": b})).collect::<Vec<_>>(),
                            "columns": schema.fields().iter().map(|f| json!({
                                "name": f.name(),
                                "type": KqlType::of(f.data_type()).name(),
                                "arrow_type": f.data_type().to_string(),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                let text = serde_json::to_string_pretty(&value).map_err(|e| Failure::query(e.to_string()))?;
                println!("{text}");
            }
            TablesFormat::Text => {
                if out.is_empty() {
                    println!("no tables in {}", dir.display());
                }
                for (i, (t, schema, files)) in out.iter().enumerate() {
                    let rows: u64 = files.iter().map(|f| f.1).sum();
                    let bytes: u64 = files.iter().map(|f| f.2).sum();
                    if i > 0 {
                        println!();
                    }
                    println!(
                        "{}: {rows} rows, {} file(s), {:.1} MiB",
                        t.name,
                        files.len(),
                        bytes as f64 / (1024.0 * 1024.0)
                    );
                    for (path, rows, _) in files.iter().take(FILES_SHOWN) {
                        println!("  file {} ({rows} rows)", path.display());
                    }
                    if files.len() > FILES_SHOWN {
                        println!("  ... and {} more file(s)", files.len() - FILES_SHOWN);
                    }
                    let width = schema.fields().iter().map(|f| f.name().len()).max().unwrap_or(0);
                    for f in schema.fields() {
                        println!(
                            "  {:<width$}  {:<8}  {}",
                            f.name(),
                            KqlType::of(f.data_type()).name(),
                            f.data_type()
                        );
                    }
                }
            }
        }
        Ok(())
    }))
}

/// Rows and bytes of a Parquet file, from its footer.
fn footer(path: &PathBuf) -> CliResult<(u64, u64)> {
    let bad = |e: &dyn std::fmt::Display| Failure::query(format!("kql: {}: {e}", path.display()));
    let file = File::open(path).map_err(|e| bad(&e))?;
    let bytes = file.metadata().map_err(|e| bad(&e))?.len();
    let meta = ParquetMetaDataReader::new().parse_and_finish(&file).map_err(|e| bad(&e))?;
    Ok((u64::try_from(meta.file_metadata().num_rows()).unwrap_or(0), bytes))
}
