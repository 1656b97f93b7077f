//! Charts for results that end with `render`, drawn with plotters as SVG or PNG (an HTML file
//! is the SVG in a page). The columns are chosen as Kusto does: `xcolumn` or the first column for x,
//! `ycolumns` or the numeric columns for y, `series` or the string columns to split series;
//! a `ladderchart` is drawn by [`super::ladder`].

use datafusion::arrow::array::{Array, AsArray as _};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use kql_engine::Visualization;
use plotters::prelude::*;

use super::ladder::Ladder;

/// The kinds drawn as lines (points for `scatterchart`).
const LINES: &[&str] = &["timechart", "linechart", "areachart", "stackedareachart", "scatterchart", "anomalychart"];
/// The kinds drawn as bars.
const BARS: &[&str] = &["barchart", "columnchart"];

/// Every chart's size in pixels.
const SIZE: (u32, u32) = (1000, 600);

/// Registers the font the charts are drawn with (once per process): DejaVu Sans, carried in
/// the binary, so text looks the same everywhere and needs no font installed.
fn fonts() -> Result<(), String> {
    static FONT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *FONT.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    if ok { Ok(()) } else { Err("the chart font could not be loaded".to_owned()) }
}

/// The chart of a result as an SVG document.
pub(crate) fn svg(v: &Visualization, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String, String> {
    fonts()?;
    let data = Drawing::read(v, schema, batches)?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        draw(&root, v, &data)?;
        root.present().map_err(draw_error)?;
    }
    Ok(out)
}

/// The chart of a result as a PNG image.
pub(crate) fn png(v: &Visualization, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>, String> {
    use image::ImageEncoder as _;
    fonts()?;
    let data = Drawing::read(v, schema, batches)?;
    let mut pixels = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        draw(&root, v, &data)?;
        root.present().map_err(draw_error)?;
    }
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&pixels, SIZE.0, SIZE.1, image::ExtendedColorType::Rgb8)
        .map_err(|e| format!("encoding the PNG image: {e}"))?;
    Ok(out)
}

/// What a chart is drawn from: series of points, or a ladder chart's intervals.
enum Drawing {
    Points(Data),
    Ladder(Ladder),
}

impl Drawing {
    fn read(v: &Visualization, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Self, String> {
        if v.kind == "ladderchart" {
            Ok(Self::Ladder(Ladder::read(schema, batches)?))
        } else {
            Ok(Self::Points(Data::read(v, schema, batches)?))
        }
    }
}

/// Draws the chart of `v` on `root`, whatever the backend.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    v: &Visualization,
    drawing: &Drawing,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(draw_error)?;
    let title = v.text("title").map_or_else(|| v.kind.clone(), str::to_owned);
    let data = match drawing {
        Drawing::Ladder(ladder) => return ladder.draw(root, &title, v),
        Drawing::Points(data) => data,
    };
    if LINES.contains(&v.kind.as_str()) {
        data.lines(root, &title, v)
    } else if BARS.contains(&v.kind.as_str()) {
        data.bars(root, &title, v)
    } else if v.kind == "piechart" {
        data.pie(root, &title)
    } else if v.kind == "card" {
        let text = data.series.first().and_then(|s| s.points.first()).map_or_else(String::new, |p| format_number(p.1));
        root.draw(&Text::new(text, (420, 260), ("sans-serif", 96).into_font())).map_err(draw_error)?;
        root.draw(&Text::new(title, (420, 380), ("sans-serif", 24).into_font())).map_err(draw_error)
    } else {
        Err(format!(
            "drawing a {} is not supported yet (timechart, linechart, areachart, stackedareachart, scatterchart, \
             anomalychart, barchart, columnchart, piechart, card and ladderchart are)",
            v.kind
        ))
    }
}

/// The chart as an HTML page.
pub(crate) fn html(v: &Visualization, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String, String> {
    let svg = svg(v, schema, batches)?;
    let title = v.text("title").unwrap_or(&v.kind);
    let title: String = title.chars().filter(|c| !matches!(c, '<' | '>' | '&')).collect();
    Ok(format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n{svg}\n</body></html>\n"
    ))
}

/// A one-line description of the chart a result would draw.
pub(crate) fn describe(v: &Visualization, schema: &SchemaRef) -> String {
    if v.kind == "ladderchart" {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let (lanes, x) = names.split_at(names.len().saturating_sub(2));
        return format!(
            "(render ladderchart: bars from {} in lanes of {}; write it with -o chart.svg or -o chart.html)",
            x.join(" to "),
            if lanes.is_empty() { "-".to_owned() } else { lanes.join("/") }
        );
    }
    let x = v.text("xcolumn").map(str::to_owned).or_else(|| schema.fields().first().map(|f| f.name().clone()));
    let mut y = v.names("ycolumns");
    if y.is_empty() {
        y = schema.fields().iter().filter(|f| is_number(f.data_type())).map(|f| f.name().clone()).collect();
        y.retain(|c| Some(c) != x.as_ref());
    }
    format!(
        "(render {}: x = {}, y = {}; write it with -o chart.svg or -o chart.html)",
        v.kind,
        x.unwrap_or_default(),
        if y.is_empty() { "-".to_owned() } else { y.join(", ") }
    )
}

pub(crate) fn draw_error<E: std::fmt::Debug>(e: E) -> String {
    format!("cannot draw the chart: {e:?}")
}

fn is_number(t: &DataType) -> bool {
    t.is_numeric()
}

fn is_time(t: &DataType) -> bool {
    matches!(t, DataType::Timestamp(..))
}

/// One series: its name and (x, y) points; x is a number, milliseconds for datetimes, or a
/// category's index.
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
}

struct Data {
    x_name: String,
    x_time: bool,
    /// Category labels when x is text (bars, pies).
    categories: Vec<String>,
    series: Vec<Series>,
}

impl Data {
    fn read(v: &Visualization, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Self, String> {
        let fields = schema.fields();
        let x_name = match v.text("xcolumn") {
            Some(x) => x.to_owned(),
            None if LINES.contains(&v.kind.as_str()) => fields
                .iter()
                .find(|f| is_time(f.data_type()))
                .or_else(|| fields.first())
                .map(|f| f.name().clone())
                .ok_or("the result has no columns")?,
            None => fields.first().map(|f| f.name().clone()).ok_or("the result has no columns")?,
        };
        let x_index = schema.index_of(&x_name).map_err(|_| format!("no column `{x_name}`"))?;
        let x_type = fields[x_index].data_type().clone();
        let x_time = is_time(&x_type);
        let series_cols: Vec<usize> = {
            let named = v.names("series");
            if named.is_empty() {
                fields
                    .iter()
                    .enumerate()
                    .filter(|(i, f)| {
                        *i != x_index
                            && matches!(f.data_type(), DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8)
                    })
                    .map(|(i, _)| i)
                    .collect()
            } else {
                named
                    .iter()
                    .map(|n| schema.index_of(n).map_err(|_| format!("no column `{n}`")))
                    .collect::<Result<_, _>>()?
            }
        };
        let y_cols: Vec<usize> = {
            let named = v.names("ycolumns");
            if named.is_empty() {
                fields
                    .iter()
                    .enumerate()
                    .filter(|(i, f)| *i != x_index && !series_cols.contains(i) && is_number(f.data_type()))
                    .map(|(i, _)| i)
                    .collect()
            } else {
                named
                    .iter()
                    .map(|n| schema.index_of(n).map_err(|_| format!("no column `{n}`")))
                    .collect::<Result<_, _>>()?
            }
        };
        if y_cols.is_empty() {
            return Err("the result has no numeric column to draw".into());
        }
        let mut categories: Vec<String> = Vec::new();
        let mut series: Vec<Series> = Vec::new();
        for b in batches {
            let x = b.column(x_index);
            let xs: Vec<Option<f64>> = if x_time {
                millis(x)?
            } else if is_number(&x_type) {
                numbers(x)?
            } else {
                let text = cast(x, &DataType::Utf8).map_err(|e| e.to_string())?;
                let text = text.as_string::<i32>();
                (0..text.len())
                    .map(|i| {
                        let label = if text.is_valid(i) { text.value(i).to_owned() } else { String::new() };
                        let k = categories.iter().position(|c| *c == label).unwrap_or_else(|| {
                            categories.push(label);
                            categories.len() - 1
                        });
                        Some(k as f64)
                    })
                    .collect()
            };
            let keys: Vec<String> = (0..b.num_rows())
                .map(|r| {
                    series_cols
                        .iter()
                        .map(|&c| {
                            let t = cast(&b.column(c).slice(r, 1), &DataType::Utf8).ok();
                            t.map(|t| t.as_string::<i32>().value(0).to_owned()).unwrap_or_default()
                        })
                        .collect::<Vec<_>>()
                        .join("/")
                })
                .collect();
            for &yc in &y_cols {
                let ys = numbers(b.column(yc))?;
                let y_name = fields[yc].name();
                for r in 0..b.num_rows() {
                    let (Some(x), Some(y)) = (xs[r], ys[r]) else { continue };
                    let name = match (keys[r].is_empty(), y_cols.len() > 1) {
                        (true, _) => y_name.clone(),
                        (false, false) => keys[r].clone(),
                        (false, true) => format!("{}:{y_name}", keys[r]),
                    };
                    match series.iter_mut().find(|s| s.name == name) {
                        Some(s) => s.points.push((x, y)),
                        None => series.push(Series { name, points: vec![(x, y)] }),
                    }
                }
            }
        }
        for s in &mut series {
            s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Ok(Self { x_name, x_time, categories, series })
    }

    fn bounds(&self) -> ((f64, f64), (f64, f64)) {
        let points = self.series.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, 0f64, f64::MIN);
        for &(x, y) in points {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            (x0, x1) = (0.0, 1.0);
        }
        if x0 == x1 {
            x1 = x0 + 1.0;
        }
        if y1 <= y0 {
            y1 = y0 + 1.0;
        }
        ((x0, x1), (y0, y1 + (y1 - y0) * 0.05))
    }

    fn lines<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        title: &str,
        v: &Visualization,
    ) -> Result<(), String> {
        let ((x0, x1), (y0, y1)) = self.bounds();
        let mut chart = axes(root, title, x0..x1, y0..y1)?;
        let format_x = x_label(self.x_time);
        chart
            .configure_mesh()
            .x_desc(v.text("xtitle").unwrap_or(&self.x_name))
            .y_desc(v.text("ytitle").unwrap_or(""))
            .x_label_formatter(&format_x)
            .y_label_formatter(&|y| format_number(*y))
            .draw()
            .map_err(draw_error)?;
        for (i, s) in self.series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            if v.kind == "scatterchart" {
                chart
                    .draw_series(s.points.iter().map(|p| Circle::new(*p, 3, color.filled())))
                    .map_err(draw_error)?
                    .label(s.name.clone())
                    .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
            } else {
                chart
                    .draw_series(LineSeries::new(s.points.iter().copied(), color.stroke_width(2)))
                    .map_err(draw_error)?
                    .label(s.name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
            }
        }
        legend(&mut chart)
    }

    fn bars<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        title: &str,
        v: &Visualization,
    ) -> Result<(), String> {
        let ((_, _), (y0, y1)) = self.bounds();
        let n = self.categories.len().max(1);
        let groups = self.series.len().max(1);
        let mut chart = axes(root, title, 0f64..n as f64, y0..y1)?;
        let label = slot_labels(self.categories.clone());
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_desc(v.text("xtitle").unwrap_or(&self.x_name))
            .y_desc(v.text("ytitle").unwrap_or(""))
            .x_label_formatter(&label)
            .y_label_formatter(&|y| format_number(*y))
            .draw()
            .map_err(draw_error)?;
        let width = 0.8 / groups as f64;
        for (g, s) in self.series.iter().enumerate() {
            let color = Palette99::pick(g).to_rgba();
            let left = 0.1 + g as f64 * width;
            chart
                .draw_series(
                    s.points
                        .iter()
                        .map(|&(x, y)| Rectangle::new([(x + left, 0.0), (x + left + width, y)], color.filled())),
                )
                .map_err(draw_error)?
                .label(s.name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
        }
        legend(&mut chart)
    }

    fn pie<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        title: &str,
    ) -> Result<(), String> {
        let Some(s) = self.series.first() else { return Ok(()) };
        let sizes: Vec<f64> = s.points.iter().map(|p| p.1.max(0.0)).collect();
        let labels: Vec<String> = s
            .points
            .iter()
            .map(|p| self.categories.get(p.0 as usize).cloned().unwrap_or_else(|| format_number(p.0)))
            .collect();
        let colors: Vec<RGBColor> = (0..sizes.len())
            .map(|i| {
                let c = Palette99::pick(i).to_rgba();
                RGBColor(c.0, c.1, c.2)
            })
            .collect();
        root.draw(&Text::new(title.to_owned(), (20, 20), ("sans-serif", 22).into_font())).map_err(draw_error)?;
        let mut pie = Pie::new(&(500, 320), &220.0, &sizes, &colors, &labels);
        pie.label_style(("sans-serif", 18).into_font());
        root.draw(&pie).map_err(draw_error)
    }
}

pub(crate) type Chart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;

/// A titled chart with numeric axes over these ranges.
pub(crate) fn axes<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<Chart<'a, DB>, String> {
    ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)
        .map_err(draw_error)
}

/// The series' legend, boxed at the top right.
fn legend<'a, DB: DrawingBackend + 'a>(chart: &mut Chart<'a, DB>) -> Result<(), String> {
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(draw_error)
}

/// The label of an x value: its date and time for datetimes (milliseconds), else the number.
pub(crate) fn x_label(time: bool) -> impl Fn(&f64) -> String {
    move |x: &f64| {
        if time {
            chrono::DateTime::from_timestamp_millis(*x as i64)
                .map_or_else(String::new, |d| d.format("%Y-%m-%d %H:%M").to_string())
        } else {
            format_number(*x)
        }
    }
}

/// Labels of categories drawn in unit slots: slot k's name at k + 0.5, nothing elsewhere.
pub(crate) fn slot_labels(names: Vec<String>) -> impl Fn(&f64) -> String {
    move |v: &f64| {
        if (v - v.floor() - 0.5).abs() < 1e-9 {
            names.get(v.floor() as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// A datetime column as milliseconds, null where null.
pub(crate) fn millis(a: &dyn Array) -> Result<Vec<Option<f64>>, String> {
    let ms = cast(a, &DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Millisecond, None))
        .map_err(|e| e.to_string())?;
    let ms = cast(&ms, &DataType::Int64).map_err(|e| e.to_string())?;
    let ms = ms.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    Ok((0..ms.len()).map(|i| ms.is_valid(i).then(|| ms.value(i) as f64)).collect())
}

/// The numbers of a column (any numeric type), null where null.
pub(crate) fn numbers(a: &dyn Array) -> Result<Vec<Option<f64>>, String> {
    let f = cast(a, &DataType::Float64).map_err(|e| e.to_string())?;
    let f = f.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
    Ok((0..f.len()).map(|i| f.is_valid(i).then(|| f.value(i))).collect())
}

pub(crate) fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.3}").trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}
