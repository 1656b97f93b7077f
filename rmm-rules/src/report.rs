//! The result of a run: per-rule results, JSON Lines and a human-readable summary.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

use kql_engine::format::{datetime_text, json_rows};
use serde_json::{Value, json};

use crate::error::LoadError;
use crate::runner::{RuleResult, Status};

/// Everything a run found.
#[derive(Debug)]
pub struct Report {
    /// The `now()` every rule saw (ns since the Unix epoch, UTC).
    pub now: i64,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// One result per rule, in catalog order.
    pub results: Vec<RuleResult>,
    /// Rule files that could not be read (carried over from the catalog).
    pub problems: Vec<LoadError>,
    /// The rules ran on a cluster: the executors read the rows, so `rows_scanned` is 0 and the
    /// summary shows `-`.
    pub remote: bool,
}

/// How many rules ended in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rules that returned rows.
    pub hits: usize,
    /// Rules that returned nothing.
    pub no_hits: usize,
    /// Rules whose tables are not in the lake.
    pub skipped: usize,
    /// Rules that could not be planned or run.
    pub failed: usize,
    /// Files that could not be read as rules.
    pub unreadable: usize,
}

impl Report {
    /// The number of rules in each status.
    pub fn counts(&self) -> Counts {
        let mut c = Counts { unreadable: self.problems.len(), ..Counts::default() };
        for r in &self.results {
            match r.status {
                Status::Hits => c.hits += 1,
                Status::NoHits => c.no_hits += 1,
                Status::Skipped { .. } => c.skipped += 1,
                Status::Failed(_) => c.failed += 1,
            }
        }
        c
    }

    /// One JSON object per rule result, then one per unreadable file, each on its own line.
    ///
    /// A rule's object has `id`, `name`, `source`, `status` (`hits`, `no hits`, `skipped`,
    /// `failed`), `tables`, `rows` (objects keyed by column, datetimes in RFC 3339),
    /// `row_count`, `truncated`, `rows_scanned`, `shared_tables`, `elapsed_ms`, and `missing_tables` or `error`
    /// (`message`, `line`, `column`, `help`, `rendered`) when they apply. An unreadable file has
    /// `source`, `status: "unreadable"` and `error`.
    ///
    /// # Errors
    /// When writing fails, or a result column has a type JSON cannot show.
    pub fn write_jsonl(&self, mut out: impl Write) -> io::Result<()> {
        for value in self.json_values().map_err(io::Error::other)? {
            serde_json::to_writer(&mut out, &value)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// The objects of [`Report::write_jsonl`], as values.
    ///
    /// # Errors
    /// When a result column has a type JSON cannot show.
    pub fn json_values(&self) -> Result<Vec<Value>, kql_engine::KqlError> {
        let mut out = Vec::with_capacity(self.results.len() + self.problems.len());
        for r in &self.results {
            out.push(result_json(r)?);
        }
        for p in &self.problems {
            out.push(json!({
                "source": p.source.to_string(),
                "status": "unreadable",
                "error": { "message": p.message, "line": p.location.map(|l| l.0), "column": p.location.map(|l| l.1) },
            }));
        }
        Ok(out)
    }

    /// A table of the rules (name, status, rows, rows scanned, time), the failures with their
    /// located errors, the unreadable files, and a closing line with the counts.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let width = self.results.iter().map(|r| r.rule.name.chars().count()).max().unwrap_or(4).clamp(4, 72);
        let _ = writeln!(s, "{:<width$}  {:<7}  {:>7}  {:>12}  {:>9}", "rule", "status", "rows", "scanned", "time");
        for r in &self.results {
            let name: String = if r.rule.name.chars().count() > width {
                r.rule.name.chars().take(width - 1).chain(['…']).collect()
            } else {
                r.rule.name.clone()
            };
            let _ = writeln!(
                s,
                "{name:<width$}  {:<7}  {:>7}  {:>12}  {:>9}",
                r.status.name(),
                r.row_count,
                if self.remote { "-".to_owned() } else { r.rows_scanned.to_string() },
                millis(r.elapsed)
            );
        }
        let mut details = String::new();
        for r in &self.results {
            match &r.status {
                Status::Failed(f) => {
                    let at = f.location.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default();
                    let _ = writeln!(details, "\nfailed: {}{at}: {}", r.rule.source, r.rule.name);
                    details.push_str(&f.render(&r.rule, false));
                }
                Status::Skipped { missing_tables } => {
                    let _ = writeln!(
                        details,
                        "\nskipped: {}: {} (no table {})",
                        r.rule.source,
                        r.rule.name,
                        missing_tables.join(", ")
                    );
                }
                Status::Hits | Status::NoHits => {}
            }
        }
        for p in &self.problems {
            let _ = writeln!(details, "\nunreadable: {p}");
        }
        s.push_str(&details);
        let c = self.counts();
        let _ = writeln!(
            s,
            "\n{} rules: {} with hits, {} without, {} skipped, {} failed{}; {} at now = {}",
            self.results.len(),
            c.hits,
            c.no_hits,
            c.skipped,
            c.failed,
            if c.unreadable > 0 { format!("; {} files unreadable", c.unreadable) } else { String::new() },
            millis(self.elapsed),
            datetime_text(self.now),
        );
        s
    }
}

fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 { format!("{ms:.1} ms") } else { format!("{ms:.0} ms") }
}

fn result_json(r: &RuleResult) -> Result<Value, kql_engine::KqlError> {
    let mut rows = Vec::new();
    for b in &r.batches {
        rows.extend(json_rows(b)?.into_iter().map(Value::Object));
    }
    let mut v = json!({
        "id": r.rule.id,
        "name": r.rule.name,
        "source": r.rule.source.to_string(),
        "status": r.status.name(),
        "tables": r.rule.tables(),
        "rows": rows,
        "row_count": r.row_count,
        "truncated": r.truncated(),
        "rows_scanned": r.rows_scanned,
        "shared_tables": r.shared_tables,
        "elapsed_ms": r.elapsed.as_secs_f64() * 1000.0,
    });
    match &r.status {
        Status::Skipped { missing_tables } => v["missing_tables"] = json!(missing_tables),
        Status::Failed(f) => {
            v["error"] = json!({
                "message": f.error.to_string(),
                "line": f.location.map(|l| l.0),
                "column": f.location.map(|l| l.1),
                "help": f.error.help(),
                "rendered": f.render(&r.rule, false),
            });
        }
        Status::Hits | Status::NoHits => {}
    }
    Ok(v)
}
