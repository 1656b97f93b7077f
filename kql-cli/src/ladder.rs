//! `render ladderchart`: each row an interval on the x axis. As Kusto's `render` documents it,
//! the last two columns are the x axis (each row's start and end: datetimes or numbers) and the
//! other columns the y axis: a row's lane is their values joined by `/`, lanes in order of first
//! appearance, one color per lane. Rows whose start or end is null are left out.

use datafusion::arrow::array::{Array, AsArray as _};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use kql_engine::Visualization;
use plotters::prelude::*;

use super::chart::{axes, draw_error, millis, numbers, slot_labels, x_label};

/// A ladder chart's lanes and bars.
pub(crate) struct Ladder {
    x_name: String,
    /// The x axis is time (milliseconds).
    time: bool,
    lanes: Vec<String>,
    /// (lane, start, end).
    bars: Vec<(usize, f64, f64)>,
}

/// A start or end column as numbers: milliseconds for datetimes.
fn positions(a: &dyn Array, time: bool) -> Result<Vec<Option<f64>>, String> {
    if time { millis(a) } else { numbers(a) }
}

impl Ladder {
    /// The lanes and bars of a result.
    pub(crate) fn read(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Self, String> {
        let fields = schema.fields();
        let n = fields.len();
        if n < 2 {
            return Err("a ladderchart needs two columns at least: the last two are each row's start and end".into());
        }
        let (start, end) = (&fields[n - 2], &fields[n - 1]);
        let time = |t: &DataType| matches!(t, DataType::Timestamp(..));
        let number = |t: &DataType| t.is_numeric();
        let kind = if time(start.data_type()) && time(end.data_type()) {
            true
        } else if number(start.data_type()) && number(end.data_type()) {
            false
        } else {
            return Err(format!(
                "a ladderchart's last two columns are each row's start and end, both datetimes or both numbers; \
                 `{}` is {} and `{}` is {}",
                start.name(),
                start.data_type(),
                end.name(),
                end.data_type()
            ));
        };
        let mut lanes: Vec<String> = Vec::new();
        let mut bars = Vec::new();
        for b in batches {
            let starts = positions(b.column(n - 2), kind)?;
            let ends = positions(b.column(n - 1), kind)?;
            let texts: Vec<_> = (0..n - 2)
                .map(|c| cast(b.column(c), &DataType::Utf8).map_err(|e| e.to_string()))
                .collect::<Result<_, _>>()?;
            let labels: Vec<_> = texts.iter().map(|t| t.as_string::<i32>()).collect();
            for r in 0..b.num_rows() {
                let (Some(s), Some(e)) = (starts[r], ends[r]) else { continue };
                let lane: Vec<&str> = labels.iter().map(|l| if l.is_valid(r) { l.value(r) } else { "" }).collect();
                let lane = lane.join("/");
                let k = match lanes.iter().position(|l| *l == lane) {
                    Some(k) => k,
                    None => {
                        lanes.push(lane);
                        lanes.len() - 1
                    }
                };
                bars.push((k, s.min(e), s.max(e)));
            }
        }
        Ok(Self { x_name: format!("{} - {}", start.name(), end.name()), time: kind, lanes, bars })
    }

    /// Draws the lanes as labelled rows and each bar in its lane's color.
    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        title: &str,
        v: &Visualization,
    ) -> Result<(), String> {
        let mut x0 = self.bars.iter().map(|b| b.1).fold(f64::INFINITY, f64::min);
        let mut x1 = self.bars.iter().map(|b| b.2).fold(f64::NEG_INFINITY, f64::max);
        if x0 > x1 {
            (x0, x1) = (0.0, 1.0);
        }
        if x1 - x0 <= 0.0 {
            x1 = x0 + 1.0;
        }
        let lanes = self.lanes.len().max(1);
        let mut chart = axes(root, title, x0..x1, 0f64..lanes as f64)?;
        // Lane k's label sits at the middle of its row, the first lane at the top.
        let label = slot_labels(self.lanes.iter().rev().cloned().collect());
        let format_x = x_label(self.time);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_labels(6)
            .y_labels(lanes * 2 + 1)
            .x_desc(v.text("xtitle").unwrap_or(&self.x_name))
            .y_desc(v.text("ytitle").unwrap_or(""))
            .x_label_formatter(&format_x)
            .y_label_formatter(&label)
            .draw()
            .map_err(draw_error)?;
        // A bar of no length still shows, as a sliver of the axis.
        let least = (x1 - x0) * 0.002;
        let bars = self.bars.iter().map(|&(k, s, e)| {
            let row = (lanes - 1 - k) as f64;
            let color = Palette99::pick(k).to_rgba();
            Rectangle::new([(s, row + 0.2), (e.max(s + least), row + 0.8)], color.filled())
        });
        chart.draw_series(bars).map_err(draw_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    #[test]
    fn lanes_in_order_of_appearance_and_reversed_intervals() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("Who", DataType::Utf8, true),
            Field::new("From", DataType::Int64, true),
            Field::new("To", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(vec![Some("b"), Some("a"), Some("b"), None])),
                Arc::new(Int64Array::from(vec![Some(1), Some(5), Some(9), Some(2)])),
                Arc::new(Int64Array::from(vec![Some(3), Some(4), None, Some(2)])),
            ],
        )
        .expect("a batch");
        let ladder = Ladder::read(&schema, &[batch]).expect("a ladder");
        assert_eq!(ladder.lanes, ["b", "a", ""]);
        assert_eq!(ladder.bars, [(0, 1.0, 3.0), (1, 4.0, 5.0), (2, 2.0, 2.0)]);
        assert!(!ladder.time);
    }
}
