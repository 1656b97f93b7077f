//! The plans of a query as text: what `kql explain` prints and the Python package's
//! `Connection.explain` returns.

use datafusion::arrow::array::AsArray as _;
use datafusion::physical_plan::displayable;

use crate::{KqlContext, Result};

impl KqlContext {
    /// The plans of every result statement of `kql`, one text per statement: the optimized
    /// logical plan and the physical plan, or with `analyze` the physical plan as it ran (each
    /// operator's rows, times and Parquet pruning; this runs the query).
    ///
    /// # Errors
    /// A [`KqlError`](crate::KqlError) locating the problem in `kql`, or an execution error when
    /// `analyze` runs it.
    pub async fn explain(&self, kql: &str, analyze: bool) -> Result<Vec<String>> {
        let mut texts = Vec::new();
        for df in self.kql_all(kql).await? {
            let mut text = String::new();
            if analyze {
                for batch in df.explain(false, true)?.collect().await? {
                    let plans = batch.column(1).as_string_opt::<i32>();
                    for plan in plans.into_iter().flatten().flatten() {
                        text.push_str(plan);
                        text.push('\n');
                    }
                }
            } else {
                let logical = df.clone().into_optimized_plan()?;
                let physical = df.create_physical_plan().await?;
                text = format!(
                    "logical plan:\n{}\n\nphysical plan:\n{}",
                    logical.display_indent(),
                    displayable(physical.as_ref()).indent(true)
                );
            }
            texts.push(text);
        }
        Ok(texts)
    }
}
