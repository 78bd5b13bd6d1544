//! Writing out a network run: [`write_all`] puts a [`Run`] in a directory as
//!
//! * `results.json` — the summary ([`Results`]), pretty JSON with a trailing newline;
//! * `series.csv` — one row per time bucket ([`Series`]), floats with a fixed number of
//!   decimals ([`CSV_DECIMALS`]);
//! * `roc.csv` — the ROC curves (`curve,fpr,tpr`);
//! * SVG plots: `delivery.svg`, `latency.svg`, `overhead.svg`, `roc.svg`, `trust.svg`,
//!   `privacy.svg` and `convergence.svg`;
//! * with a drill: `drill.csv` (per member) and `drill.svg` (CDFs of time-to-notify and
//!   time-to-acknowledge), see [`super::drill::files`].
//!
//! Everything written is a function of the [`Run`] alone, so the same seed gives
//! byte-identical files. The plots use plotters' SVG backend without its `ttf`
//! feature: text becomes SVG `<text>` elements that the viewer renders, so no font is
//! read or rasterised here.
//!
//! [`compare`] renders two [`Results`] side by side for the terminal, and
//! [`read_results`] reads a `results.json` back.

use std::fmt::Write as _;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::chart::SeriesAnno;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::results::{Results, RocPoint, Run, Series};

/// The summary file.
pub const RESULTS_JSON: &str = "results.json";
/// The time series file.
pub const SERIES_CSV: &str = "series.csv";
/// The ROC curves file.
pub const ROC_CSV: &str = "roc.csv";
/// Decimals of every float in the CSV files.
pub const CSV_DECIMALS: usize = 6;

/// What can go wrong writing or reading a run's files. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Creating, writing or reading a file or directory.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Encoding or decoding JSON.
    #[error("{}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// Drawing a plot.
    #[error("{}: plotting failed: {message}", path.display())]
    Plot {
        /// The plot file.
        path: PathBuf,
        /// What plotters reported.
        message: String,
    },
}

/// Writes every file of `run` into `dir`, creating it (and its parents) if needed.
pub fn write_all(dir: &Path, run: &Run) -> Result<(), OutputError> {
    fs::create_dir_all(dir).map_err(|source| io_error(dir, source))?;
    let json_path = dir.join(RESULTS_JSON);
    let json = results_json(&run.results).map_err(|source| OutputError::Json {
        path: json_path.clone(),
        source,
    })?;
    write_file(&json_path, &json)?;
    write_file(&dir.join(SERIES_CSV), &series_csv(&run.series))?;
    write_file(
        &dir.join(ROC_CSV),
        &roc_csv(&run.roc.credibility, &run.roc.baseline),
    )?;
    for (name, plot) in PLOTS {
        let path = dir.join(name);
        let svg = plot(run).map_err(|e| OutputError::Plot {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_file(&path, &svg)?;
    }
    if let Some(drill) = &run.drill {
        use super::drill::files::{drill_csv, DRILL_CSV, DRILL_SVG};
        write_file(&dir.join(DRILL_CSV), &drill_csv(drill))?;
        let path = dir.join(DRILL_SVG);
        let svg = super::drill::plot::drill_svg(
            drill,
            &title(run, "Drill: time to notify and to acknowledge"),
        )
        .map_err(|e| OutputError::Plot {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_file(&path, &svg)?;
    }
    Ok(())
}

/// Reads `dir/results.json`.
pub fn read_results(dir: &Path) -> Result<Results, OutputError> {
    let path = dir.join(RESULTS_JSON);
    let text = fs::read_to_string(&path).map_err(|source| io_error(&path, source))?;
    serde_json::from_str(&text).map_err(|source| OutputError::Json { path, source })
}

fn io_error(path: &Path, source: std::io::Error) -> OutputError {
    OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_file(path: &Path, contents: &str) -> Result<(), OutputError> {
    fs::write(path, contents).map_err(|source| io_error(path, source))
}

// ---------------------------------------------------------------------------------
// JSON and CSV
// ---------------------------------------------------------------------------------

/// Pretty JSON of `results` with a trailing newline.
fn results_json(results: &Results) -> Result<String, serde_json::Error> {
    let mut json = serde_json::to_string_pretty(results)?;
    json.push('\n');
    Ok(json)
}

/// The columns of `series.csv`, in order.
fn series_columns(s: &Series) -> [(&'static str, &[f64]); 12] {
    [
        ("t_s", &s.t_s),
        ("delivery_ratio", &s.delivery_ratio),
        ("latency_p50_ms", &s.latency_p50_ms),
        ("latency_p90_ms", &s.latency_p90_ms),
        ("latency_p99_ms", &s.latency_p99_ms),
        ("duplicates_per_delivery", &s.duplicates_per_delivery),
        ("bytes_per_node_per_item", &s.bytes_per_node_per_item),
        ("trust_honest", &s.trust_honest),
        ("trust_adversarial", &s.trust_adversarial),
        ("epsilon_spent_mean", &s.epsilon_spent_mean),
        ("epsilon_spent_max", &s.epsilon_spent_max),
        ("online", &s.online),
    ]
}

/// A float with [`CSV_DECIMALS`] decimals (`NaN` and `inf` as Rust writes them).
fn csv_float(x: f64) -> String {
    format!("{x:.CSV_DECIMALS$}")
}

/// `series.csv`: the header, then one row per bucket. A column shorter than the
/// longest leaves its cells empty.
fn series_csv(series: &Series) -> String {
    let columns = series_columns(series);
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let rows = columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let mut csv = names.join(",");
    csv.push('\n');
    for i in 0..rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|(_, v)| v.get(i).map(|x| csv_float(*x)).unwrap_or_default())
            .collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    csv
}

/// `roc.csv`: `curve,fpr,tpr`, the credibility curve then the baseline.
fn roc_csv(credibility: &[RocPoint], baseline: &[RocPoint]) -> String {
    let mut csv = String::from("curve,fpr,tpr\n");
    for (curve, points) in [("credibility", credibility), ("baseline", baseline)] {
        for p in points {
            let _ = writeln!(csv, "{curve},{},{}", csv_float(p.fpr), csv_float(p.tpr));
        }
    }
    csv
}

// ---------------------------------------------------------------------------------
// Plots
// ---------------------------------------------------------------------------------

type PlotResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws one plot of a run as an SVG document.
type DrawPlot = fn(&Run) -> PlotResult<String>;
/// A line series and, on the first of a line, its legend label.
type Segment<'b, 'l> = (LineSeries<SVGBackend<'b>, (f64, f64)>, Option<&'l str>);

/// Each plot file and what draws it.
const PLOTS: [(&str, DrawPlot); 7] = [
    ("delivery.svg", delivery_svg),
    ("latency.svg", latency_svg),
    ("overhead.svg", overhead_svg),
    ("roc.svg", roc_svg),
    ("trust.svg", trust_svg),
    ("privacy.svg", privacy_svg),
    ("convergence.svg", convergence_svg),
];

const SIZE: (u32, u32) = (960, 540);
const FONT: &str = "sans-serif";
const TITLE_SIZE: u32 = 22;
const TIME_AXIS: &str = "simulated time (s)";
/// Shown on the ROC plot when there is no curve.
const NO_FALSE_ITEMS: &str = "no false items in this workload";

/// One line of a plot. Non-finite points break the line.
struct Line {
    label: Option<String>,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

impl Line {
    fn new(label: impl Into<String>, color: RGBColor, points: Vec<(f64, f64)>) -> Self {
        Line {
            label: Some(label.into()),
            color,
            points,
        }
    }
}

/// A plot with one pair of axes.
struct Plot {
    title: String,
    x_desc: &'static str,
    y_desc: &'static str,
    x: Range<f64>,
    y: Range<f64>,
    lines: Vec<Line>,
    /// Text in the middle of the plotting area.
    note: Option<&'static str>,
    legend_at: SeriesLabelPosition,
}

/// The title with the run it is of.
fn title(run: &Run, what: &str) -> String {
    format!(
        "{what} — {}, seed {}",
        run.results.scenario, run.results.seed
    )
}

/// `(t, y)` pairs of a series column.
fn over_time(t: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    t.iter().copied().zip(y.iter().copied()).collect()
}

/// The smallest and largest finite value, if any.
fn finite_span(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |span, v| match span {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// An axis range over `values` with 5 % headroom; from 0 when `from_zero` and no value
/// is negative; `0..1` when there is no finite value.
fn axis(values: impl IntoIterator<Item = f64>, from_zero: bool) -> Range<f64> {
    let Some((mut lo, mut hi)) = finite_span(values) else {
        return 0.0..1.0;
    };
    if from_zero {
        lo = lo.min(0.0);
    }
    if hi - lo < 1e-12 {
        hi = lo + lo.abs().max(1.0);
    }
    let pad = (hi - lo) * 0.05;
    let lo = if from_zero && lo == 0.0 {
        0.0
    } else {
        lo - pad
    };
    lo..hi + pad
}

/// `range` with a quarter more room at the top, for a legend there.
fn legend_room(range: Range<f64>) -> Range<f64> {
    range.start..range.end + (range.end - range.start) * 0.25
}

/// The time axis: the bucket starts plus `extra` times, with no headroom.
fn time_axis(series: &Series, extra: &[f64]) -> Range<f64> {
    let times = series.t_s.iter().chain(extra).copied();
    match finite_span(times) {
        None => 0.0..1.0,
        Some((lo, hi)) if hi - lo < 1e-12 => lo..lo + series.bucket_s.max(1.0),
        Some((lo, hi)) => lo..hi,
    }
}

/// The y values of all lines.
fn ys(lines: &[Line]) -> impl Iterator<Item = f64> + '_ {
    lines.iter().flat_map(|l| l.points.iter().map(|p| p.1))
}

/// The runs of finite points of a line (at least one, possibly empty, to carry the
/// legend entry).
fn segments(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut segments = vec![Vec::new()];
    for &(x, y) in points {
        if x.is_finite() && y.is_finite() {
            if let Some(segment) = segments.last_mut() {
                segment.push((x, y));
            }
        } else if segments.last().is_some_and(|s| !s.is_empty()) {
            segments.push(Vec::new());
        }
    }
    if segments.len() > 1 && segments.last().is_some_and(Vec::is_empty) {
        segments.pop();
    }
    segments
}

/// The line series of `line`, the first carrying its label. A lone point gets a marker.
fn line_series<'b>(line: &Line) -> Vec<Segment<'b, '_>> {
    let style = line.color.stroke_width(2);
    segments(&line.points)
        .into_iter()
        .enumerate()
        .map(|(i, seg)| {
            let marker = if seg.len() == 1 { 3 } else { 0 };
            let label = if i == 0 { line.label.as_deref() } else { None };
            (LineSeries::new(seg, style).point_size(marker), label)
        })
        .collect()
}

/// Gives a drawn series its legend entry.
fn legend(anno: &mut SeriesAnno<'_, SVGBackend<'_>>, label: &str, color: RGBColor) {
    anno.label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
}

fn draw_line(chart: &mut Chart<'_, '_>, line: &Line) -> PlotResult<()> {
    for (series, label) in line_series(line) {
        let anno = chart.draw_series(series)?;
        if let Some(label) = label {
            legend(anno, label, line.color);
        }
    }
    Ok(())
}

/// The legend box, when more than one line is labelled.
fn draw_legend<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    lines: &[Line],
    at: SeriesLabelPosition,
) -> PlotResult<()> {
    if lines.iter().filter(|l| l.label.is_some()).count() < 2 {
        return Ok(());
    }
    chart
        .configure_series_labels()
        .position(at)
        .label_font((FONT, 15))
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .draw()?;
    Ok(())
}

fn draw_note(chart: &Chart<'_, '_>, note: &str, x: &Range<f64>, y: &Range<f64>) -> PlotResult<()> {
    let style = TextStyle::from((FONT, 20).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    let at = ((x.start + x.end) / 2.0, (y.start + y.end) / 2.0);
    chart.plotting_area().draw(&Text::new(note, at, style))?;
    Ok(())
}

/// Draws `plot` into an SVG document.
fn render(plot: &Plot) -> PlotResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&plot.title, (FONT, TITLE_SIZE))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(plot.x.clone(), plot.y.clone())?;
        chart
            .configure_mesh()
            .x_desc(plot.x_desc)
            .y_desc(plot.y_desc)
            .draw()?;
        for line in &plot.lines {
            draw_line(&mut chart, line)?;
        }
        if let Some(note) = plot.note {
            draw_note(&chart, note, &plot.x, &plot.y)?;
        }
        draw_legend(&mut chart, &plot.lines, plot.legend_at.clone())?;
        root.present()?;
    }
    Ok(svg)
}

fn delivery_svg(run: &Run) -> PlotResult<String> {
    let s = &run.series;
    let points = over_time(&s.t_s, &s.delivery_ratio);
    let lines = vec![Line::new("delivery ratio", BLUE, points)];
    render(&Plot {
        title: title(run, "Delivery ratio over time"),
        x_desc: TIME_AXIS,
        y_desc: "deliveries made / owed",
        x: time_axis(s, &[]),
        y: axis(ys(&lines).chain([1.0]), true),
        lines,
        note: None,
        legend_at: SeriesLabelPosition::LowerRight,
    })
}

fn latency_svg(run: &Run) -> PlotResult<String> {
    let s = &run.series;
    let lines = vec![
        Line::new("p50", BLUE, over_time(&s.t_s, &s.latency_p50_ms)),
        Line::new("p90", GREEN, over_time(&s.t_s, &s.latency_p90_ms)),
        Line::new("p99", RED, over_time(&s.t_s, &s.latency_p99_ms)),
    ];
    render(&Plot {
        title: title(run, "Propagation latency"),
        x_desc: TIME_AXIS,
        y_desc: "latency (ms)",
        x: time_axis(s, &[]),
        y: legend_room(axis(ys(&lines), true)),
        lines,
        note: None,
        legend_at: SeriesLabelPosition::UpperRight,
    })
}

fn trust_svg(run: &Run) -> PlotResult<String> {
    let s = &run.series;
    let lines = vec![
        Line::new("honest members", BLUE, over_time(&s.t_s, &s.trust_honest)),
        Line::new(
            "adversarial nodes",
            RED,
            over_time(&s.t_s, &s.trust_adversarial),
        ),
    ];
    render(&Plot {
        title: title(run, "Mean relative trust"),
        x_desc: TIME_AXIS,
        y_desc: "relative trust",
        x: time_axis(s, &[]),
        y: legend_room(axis(ys(&lines), true)),
        lines,
        note: None,
        legend_at: SeriesLabelPosition::UpperRight,
    })
}

fn privacy_svg(run: &Run) -> PlotResult<String> {
    let eps = &run.epsilon;
    let mut spent = eps.spent.clone();
    spent.sort_by(f64::total_cmp);
    let last = spent.len().saturating_sub(1).max(1) as f64;
    let points = spent
        .iter()
        .enumerate()
        .map(|(i, e)| (i as f64, *e))
        .collect();
    let lines = vec![
        Line::new("ε spent", BLUE, points),
        Line::new(
            format!("budget ε = {}", eps.budget),
            RED,
            vec![(0.0, eps.budget), (last, eps.budget)],
        ),
    ];
    render(&Plot {
        title: title(run, "Privacy budget spent per node"),
        x_desc: "publishing node (sorted by ε spent)",
        y_desc: "ε spent",
        x: 0.0..last,
        y: legend_room(axis(ys(&lines), true)),
        lines,
        note: spent.is_empty().then_some("no publishing nodes"),
        legend_at: SeriesLabelPosition::UpperLeft,
    })
}

/// The legend label of a ROC curve.
fn auc_label(name: &str, auc: Option<f64>) -> String {
    match auc {
        Some(auc) => format!("{name} (AUC {auc:.3})"),
        None => format!("{name} (AUC —)"),
    }
}

fn roc_points(points: &[RocPoint]) -> Vec<(f64, f64)> {
    points.iter().map(|p| (p.fpr, p.tpr)).collect()
}

fn roc_svg(run: &Run) -> PlotResult<String> {
    let (roc, r) = (&run.roc, &run.results);
    let empty = roc.credibility.is_empty() && roc.baseline.is_empty();
    let what = if empty {
        "ROC (no curve)".to_string()
    } else {
        format!(
            "ROC: {}, {}",
            auc_label("credibility", r.credibility_auc),
            auc_label("baseline", r.baseline_auc)
        )
    };
    let mut lines = Vec::new();
    if !empty {
        lines = vec![
            Line::new(
                auc_label("credibility", r.credibility_auc),
                BLUE,
                roc_points(&roc.credibility),
            ),
            Line::new(
                auc_label("unweighted baseline", r.baseline_auc),
                RED,
                roc_points(&roc.baseline),
            ),
            Line::new(
                "chance",
                RGBColor(160, 160, 160),
                vec![(0.0, 0.0), (1.0, 1.0)],
            ),
        ];
    }
    render(&Plot {
        title: title(run, &what),
        x_desc: "false positive rate",
        y_desc: "true positive rate",
        x: 0.0..1.0,
        y: 0.0..1.0,
        lines,
        note: empty.then_some(NO_FALSE_ITEMS),
        legend_at: SeriesLabelPosition::LowerRight,
    })
}

fn convergence_svg(run: &Run) -> PlotResult<String> {
    let s = &run.series;
    let delivery = Line::new("delivery ratio", BLUE, over_time(&s.t_s, &s.delivery_ratio));
    let y = axis(ys(std::slice::from_ref(&delivery)).chain([1.0]), true);
    let mut lines = vec![delivery];
    for (i, &heal) in run.heals_s.iter().enumerate() {
        lines.push(Line {
            label: (i == 0).then(|| "partition healed".to_string()),
            color: RED,
            points: vec![(heal, y.start), (heal, y.end)],
        });
    }
    let what = if run.heals_s.is_empty() {
        "Convergence (no partition healed in this run)"
    } else {
        "Convergence after partitions heal"
    };
    render(&Plot {
        title: title(run, what),
        x_desc: TIME_AXIS,
        y_desc: "deliveries made / owed",
        x: time_axis(s, &run.heals_s),
        y,
        lines,
        note: None,
        legend_at: SeriesLabelPosition::LowerRight,
    })
}

/// Duplicates (left axis) and bytes (right axis) on one plot.
fn overhead_svg(run: &Run) -> PlotResult<String> {
    let s = &run.series;
    let dup = Line::new(
        "duplicates per delivery (left)",
        BLUE,
        over_time(&s.t_s, &s.duplicates_per_delivery),
    );
    let bytes = Line::new(
        "bytes per node per item (right)",
        RED,
        over_time(&s.t_s, &s.bytes_per_node_per_item),
    );
    let x = time_axis(s, &[]);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title(run, "Gossip overhead"), (FONT, TITLE_SIZE))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .right_y_label_area_size(90)
            .build_cartesian_2d(
                x.clone(),
                legend_room(axis(ys(std::slice::from_ref(&dup)), true)),
            )?
            .set_secondary_coord(x, legend_room(axis(ys(std::slice::from_ref(&bytes)), true)));
        chart
            .configure_mesh()
            .x_desc(TIME_AXIS)
            .y_desc("duplicates per delivery")
            .draw()?;
        chart
            .configure_secondary_axes()
            .y_desc("bytes per node per item")
            .draw()?;
        draw_line(&mut chart, &dup)?;
        for (series, label) in line_series(&bytes) {
            let anno = chart.draw_secondary_series(series)?;
            if let Some(label) = label {
                legend(anno, label, bytes.color);
            }
        }
        draw_legend(&mut chart, &[dup, bytes], SeriesLabelPosition::UpperRight)?;
        root.present()?;
    }
    Ok(svg)
}

// ---------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------

/// A metric's value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Count(u64),
    Float(f64),
    Missing,
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}

impl From<Option<f64>> for Value {
    fn from(x: Option<f64>) -> Self {
        x.map_or(Value::Missing, Value::Float)
    }
}

/// A float for the table: 4 decimals, or scientific notation when tiny or huge.
fn table_float(x: f64) -> String {
    let magnitude = x.abs();
    if !x.is_finite() || x == 0.0 || (1e-3..1e9).contains(&magnitude) {
        format!("{x:.4}")
    } else {
        format!("{x:.3e}")
    }
}

impl Value {
    fn show(self) -> String {
        match self {
            Value::Count(n) => n.to_string(),
            Value::Float(x) => table_float(x),
            Value::Missing => "—".to_string(),
        }
    }

    /// `b − a`, signed; `—` unless both are numbers.
    fn diff(a: Value, b: Value) -> String {
        match (a, b) {
            (Value::Count(a), Value::Count(b)) => format!("{:+}", i128::from(b) - i128::from(a)),
            (Value::Float(a), Value::Float(b)) => {
                let d = b - a;
                if d.is_nan() || d.is_sign_negative() {
                    table_float(d)
                } else {
                    format!("+{}", table_float(d))
                }
            }
            _ => "—".to_string(),
        }
    }
}

/// Every metric of `r`, in the order of [`Results`] (scenario and seed excluded: they
/// head the table).
fn metrics(r: &Results) -> Vec<(String, Value)> {
    vec![
        ("nodes".into(), Value::Count(r.nodes as u64)),
        ("duration_s".into(), r.duration_s.into()),
        ("items".into(), Value::Count(r.items)),
        ("delivery_ratio".into(), r.delivery_ratio.into()),
        ("latency_ms.p50".into(), r.latency_ms.p50.into()),
        ("latency_ms.p90".into(), r.latency_ms.p90.into()),
        ("latency_ms.p99".into(), r.latency_ms.p99.into()),
        (
            "duplicates_per_delivery".into(),
            r.duplicates_per_delivery.into(),
        ),
        (
            "bytes_per_node_per_item".into(),
            r.bytes_per_node_per_item.into(),
        ),
        ("credibility_auc".into(), r.credibility_auc.into()),
        ("baseline_auc".into(), r.baseline_auc.into()),
        ("epsilon_spent_max".into(), r.epsilon_spent_max.into()),
        ("epsilon_budget".into(), r.epsilon_budget.into()),
        ("aggregate_rel_error".into(), r.aggregate_rel_error.into()),
        ("heal_convergence_s".into(), r.heal_convergence_s.into()),
        (
            "equivocation_detection_s".into(),
            r.equivocation_detection_s.into(),
        ),
        ("events".into(), Value::Count(r.events)),
    ]
}

/// The rows of the comparison: name, A, B, B − A. Adversary metrics present in either
/// run are listed under `adversaries.<name>`, `—` where a run lacks one; so are the
/// drill's headline figures (`drill.*`, of the first advisory).
fn comparison_rows(a: &Results, b: &Results) -> Vec<[String; 4]> {
    let mut rows: Vec<[String; 4]> = metrics(a)
        .into_iter()
        .zip(metrics(b))
        .map(|((name, va), (_, vb))| [name, va.show(), vb.show(), Value::diff(va, vb)])
        .collect();
    let keys: std::collections::BTreeSet<&String> =
        a.adversaries.keys().chain(b.adversaries.keys()).collect();
    let at = rows.len() - 1; // before `events`
    for (i, key) in keys.into_iter().enumerate() {
        let va = Value::from(a.adversaries.get(key).copied());
        let vb = Value::from(b.adversaries.get(key).copied());
        rows.insert(
            at + i,
            [
                format!("adversaries.{key}"),
                va.show(),
                vb.show(),
                Value::diff(va, vb),
            ],
        );
    }
    // The drill's headline figures, when either run has a drill.
    if a.drill.is_some() || b.drill.is_some() {
        use super::drill::summary::compare_metrics;
        let at = rows.len() - 1;
        let (ma, mb) = (
            compare_metrics(a.drill.as_ref()),
            compare_metrics(b.drill.as_ref()),
        );
        for (i, ((name, xa), (_, xb))) in ma.into_iter().zip(mb).enumerate() {
            let (va, vb) = (Value::from(xa), Value::from(xb));
            rows.insert(at + i, [name, va.show(), vb.show(), Value::diff(va, vb)]);
        }
    }
    rows
}

/// A side-by-side table of every metric of `a` and `b`: name, value in A, value in B and
/// the difference B − A (`—` where a value is missing). The header names each run's
/// scenario and seed.
pub fn compare(a: &Results, b: &Results) -> String {
    let mut rows = vec![[
        "metric".to_string(),
        "A".to_string(),
        "B".to_string(),
        "B − A".to_string(),
    ]];
    rows.extend(comparison_rows(a, b));
    let mut widths = [0usize; 4];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "A: {} (seed {})", a.scenario, a.seed);
    let _ = writeln!(out, "B: {} (seed {})", b.scenario, b.seed);
    for (i, row) in rows.iter().enumerate() {
        let [name, va, vb, d] = row;
        let [w0, w1, w2, w3] = widths;
        let _ = writeln!(out, "{name:<w0$}  {va:>w1$}  {vb:>w2$}  {d:>w3$}");
        if i == 0 {
            let _ = writeln!(out, "{}", "-".repeat(w0 + w1 + w2 + w3 + 6));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::network::results::{NodeEpsilon, Percentiles, Roc};

    fn sample_results() -> Results {
        Results {
            scenario: "partition-heal".into(),
            nodes: 120,
            seed: 7,
            duration_s: 600.0,
            items: 340,
            delivery_ratio: 0.987_654,
            latency_ms: Percentiles {
                p50: 210.5,
                p90: 480.25,
                p99: 910.0,
            },
            duplicates_per_delivery: 2.75,
            bytes_per_node_per_item: 1834.5,
            credibility_auc: Some(0.9321),
            baseline_auc: Some(0.71),
            epsilon_spent_max: 0.8,
            epsilon_budget: 1.0,
            aggregate_rel_error: Some(0.042),
            heal_convergence_s: Some(12.5),
            equivocation_detection_s: None,
            adversaries: BTreeMap::from([("flooder_items_delivered".to_string(), 3.0)]),
            events: 1_234_567,
            drill: None,
        }
    }

    fn column(n: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
        (0..n).map(|i| f(i as f64)).collect()
    }

    fn sample_run() -> Run {
        let n = 12;
        let mut latency_p50 = column(n, |i| 200.0 + 3.0 * i);
        latency_p50[4] = f64::NAN; // a bucket with no delivery
        Run {
            results: sample_results(),
            series: Series {
                bucket_s: 10.0,
                t_s: column(n, |i| 10.0 * i),
                delivery_ratio: column(n, |i| if i == 5.0 { 0.4 } else { 0.99 }),
                latency_p50_ms: latency_p50,
                latency_p90_ms: column(n, |i| 450.0 + 5.0 * i),
                latency_p99_ms: column(n, |i| 900.0 + 7.0 * i),
                duplicates_per_delivery: column(n, |i| 2.0 + 0.1 * i),
                bytes_per_node_per_item: column(n, |i| 1800.0 + 4.0 * i),
                trust_honest: column(n, |i| 0.01 + 0.001 * i),
                trust_adversarial: column(n, |_| 0.002),
                epsilon_spent_mean: column(n, |i| 0.05 * i),
                epsilon_spent_max: column(n, |i| 0.07 * i),
                online: column(n, |i| if i == 5.0 { 60.0 } else { 120.0 }),
            },
            roc: Roc {
                credibility: vec![
                    RocPoint { fpr: 0.0, tpr: 0.0 },
                    RocPoint { fpr: 0.1, tpr: 0.8 },
                    RocPoint { fpr: 1.0, tpr: 1.0 },
                ],
                baseline: vec![
                    RocPoint { fpr: 0.0, tpr: 0.0 },
                    RocPoint { fpr: 0.4, tpr: 0.6 },
                    RocPoint { fpr: 1.0, tpr: 1.0 },
                ],
            },
            epsilon: NodeEpsilon {
                spent: vec![0.1, 0.5, 0.3, 0.8],
                budget: 1.0,
            },
            heals_s: vec![60.0],
            drill: None,
        }
    }

    const PLOT_FILES: [&str; 7] = [
        "delivery.svg",
        "latency.svg",
        "overhead.svg",
        "roc.svg",
        "trust.svg",
        "privacy.svg",
        "convergence.svg",
    ];

    fn read(dir: &Path, name: &str) -> String {
        fs::read_to_string(dir.join(name)).unwrap()
    }

    #[test]
    fn write_all_is_deterministic_and_writes_every_plot() {
        let run = sample_run();
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (da, db) = (a.path().join("out"), b.path().join("out"));
        write_all(&da, &run).unwrap();
        write_all(&db, &run).unwrap();
        for name in [RESULTS_JSON, SERIES_CSV, ROC_CSV] {
            assert_eq!(
                fs::read(da.join(name)).unwrap(),
                fs::read(db.join(name)).unwrap(),
                "{name}"
            );
        }
        for name in PLOT_FILES {
            let svg = read(&da, name);
            assert!(
                svg.starts_with("<svg"),
                "{name}: {}",
                &svg[..svg.len().min(80)]
            );
            assert!(svg.contains("<text"), "{name} has no text");
            assert_eq!(svg, read(&db, name), "{name} differs between runs");
        }
        assert!(read(&da, RESULTS_JSON).ends_with("}\n"));
    }

    #[test]
    fn csv_files_have_fixed_decimals_and_one_row_per_bucket() {
        let run = sample_run();
        let csv = series_csv(&run.series);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "t_s,delivery_ratio,latency_p50_ms,latency_p90_ms,latency_p99_ms,duplicates_per_delivery,\
             bytes_per_node_per_item,trust_honest,trust_adversarial,epsilon_spent_mean,\
             epsilon_spent_max,online"
        );
        assert_eq!(lines.len(), 1 + run.series.t_s.len());
        assert!(
            lines[1].starts_with("0.000000,0.990000,200.000000,"),
            "{}",
            lines[1]
        );
        assert!(lines[5].contains(",NaN,"), "{}", lines[5]);
        let roc = roc_csv(&run.roc.credibility, &run.roc.baseline);
        assert!(
            roc.starts_with("curve,fpr,tpr\ncredibility,0.000000,0.000000\n"),
            "{roc}"
        );
        assert!(roc.contains("baseline,0.400000,0.600000\n"), "{roc}");
    }

    #[test]
    fn plots_carry_titles_labels_legends_and_aucs() {
        let run = sample_run();
        let roc = roc_svg(&run).unwrap();
        assert!(
            roc.contains("AUC 0.932") && roc.contains("AUC 0.710"),
            "{roc}"
        );
        let latency = latency_svg(&run).unwrap();
        for text in [
            "Propagation latency",
            "latency (ms)",
            TIME_AXIS,
            "p50",
            "p90",
            "p99",
        ] {
            assert!(latency.contains(text), "latency.svg lacks {text}");
        }
        let conv = convergence_svg(&run).unwrap();
        assert!(conv.contains("partition healed"));
        let privacy = privacy_svg(&run).unwrap();
        assert!(privacy.contains("budget ε = 1"));
        let overhead = overhead_svg(&run).unwrap();
        assert!(
            overhead.contains("bytes per node per item")
                && overhead.contains("duplicates per delivery")
        );
    }

    #[test]
    fn an_empty_run_still_writes_every_file() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path(), &Run::default()).unwrap();
        assert!(read(dir.path(), "roc.svg").contains(NO_FALSE_ITEMS));
        assert!(read(dir.path(), "privacy.svg").contains("no publishing nodes"));
        assert_eq!(read(dir.path(), SERIES_CSV).lines().count(), 1);
        assert_eq!(read(dir.path(), ROC_CSV), "curve,fpr,tpr\n");
        for name in PLOT_FILES {
            assert!(read(dir.path(), name).starts_with("<svg"), "{name}");
        }
    }

    #[test]
    fn compare_lists_every_metric_with_both_values() {
        let a = sample_results();
        let mut b = sample_results();
        b.scenario = "baseline".into();
        b.seed = 8;
        b.delivery_ratio = 0.5;
        b.nodes = 100;
        b.credibility_auc = None;
        b.equivocation_detection_s = Some(4.0);
        b.adversaries = BTreeMap::from([("sybil_trust".to_string(), 0.25)]);
        let table = compare(&a, &b);
        assert!(table.contains("A: partition-heal (seed 7)"), "{table}");
        assert!(table.contains("B: baseline (seed 8)"), "{table}");
        for (name, _) in metrics(&a) {
            assert!(table.contains(&name), "{name} missing:\n{table}");
        }
        let row = |name: &str| -> Vec<String> {
            let line = table
                .lines()
                .find(|l| l.split_whitespace().next() == Some(name))
                .unwrap();
            line.split_whitespace().map(str::to_string).collect()
        };
        assert_eq!(
            row("delivery_ratio"),
            ["delivery_ratio", "0.9877", "0.5000", "-0.4877"]
        );
        assert_eq!(row("nodes"), ["nodes", "120", "100", "-20"]);
        assert_eq!(row("events"), ["events", "1234567", "1234567", "+0"]);
        assert_eq!(
            row("credibility_auc"),
            ["credibility_auc", "0.9321", "—", "—"]
        );
        assert_eq!(
            row("equivocation_detection_s"),
            ["equivocation_detection_s", "—", "4.0000", "—"]
        );
        assert_eq!(
            row("adversaries.flooder_items_delivered"),
            ["adversaries.flooder_items_delivered", "3.0000", "—", "—"]
        );
        assert_eq!(
            row("adversaries.sybil_trust"),
            ["adversaries.sybil_trust", "—", "0.2500", "—"]
        );
        // Aligned: every row after the header is as wide as the header rule.
        let widths: Vec<usize> = table.lines().skip(2).map(|l| l.chars().count()).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{table}");
    }

    #[test]
    fn read_results_round_trips_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let run = sample_run();
        write_all(dir.path(), &run).unwrap();
        assert_eq!(read_results(dir.path()).unwrap(), run.results);

        let missing = dir.path().join("nowhere");
        let err = read_results(&missing).unwrap_err();
        assert!(matches!(err, OutputError::Io { .. }));
        assert!(err.to_string().contains("nowhere/results.json"), "{err}");

        fs::write(dir.path().join(RESULTS_JSON), "{ not json").unwrap();
        let err = read_results(dir.path()).unwrap_err();
        assert!(matches!(err, OutputError::Json { .. }));
        assert!(err.to_string().contains("results.json"), "{err}");
    }
}
