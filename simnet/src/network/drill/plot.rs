//! `drill.svg`: the CDFs of time-to-notify and time-to-acknowledge (seconds after
//! publication, log scale) over members — all of them, and those offline at
//! publication — with the deadline marked. Each curve is the share of its group done by
//! then, so it levels off below 1 by the members never notified or never acknowledged.
//! Several advisories are pooled (each member–advisory pair counts once).

use plotters::coord::combinators::IntoLogRange;
use plotters::prelude::*;

use super::results::{DrillRun, MemberRow};

const SIZE: (u32, u32) = (960, 540);
const FONT: &str = "sans-serif";
/// Shortest duration shown (seconds): the left end of the log axis.
const FLOOR_S: f64 = 0.01;
/// Top of the y axis: room above 1 for the legend.
const Y_TOP: f64 = 1.45;

/// The step points of the CDF of `durations` over `of` members.
fn cdf(mut durations: Vec<f64>, of: usize) -> Vec<(f64, f64)> {
    durations.sort_by(f64::total_cmp);
    let n = of.max(1) as f64;
    let mut points = Vec::with_capacity(2 * durations.len());
    for (i, d) in durations.into_iter().enumerate() {
        let d = d.max(FLOOR_S);
        points.push((d, i as f64 / n));
        points.push((d, (i + 1) as f64 / n));
    }
    points
}

/// `(durations, group size)` of `field` over the rows `keep` selects.
fn durations(
    run: &DrillRun,
    keep: impl Fn(&MemberRow) -> bool,
    field: impl Fn(&MemberRow) -> Option<f64>,
) -> (Vec<f64>, usize) {
    let rows: Vec<&MemberRow> = run.rows.iter().filter(|r| keep(r)).collect();
    let v = rows
        .iter()
        .filter_map(|r| {
            let t0 = run.published_s.get(r.advisory)?;
            Some(field(r)? - t0)
        })
        .collect();
    (v, rows.len())
}

/// Draws the plot; `title` names the run.
pub fn drill_svg(
    run: &DrillRun,
    title: &str,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let all = |_: &MemberRow| true;
    let churned = |r: &MemberRow| r.offline_at_publish;
    let curves = [
        (
            "notified — all members",
            BLUE,
            durations(run, all, |r| r.notified_s),
        ),
        (
            "acknowledged — all members",
            RED,
            durations(run, all, |r| r.final_ack_s),
        ),
        (
            "notified — offline at publication",
            CYAN,
            durations(run, churned, |r| r.notified_s),
        ),
        (
            "acknowledged — offline at publication",
            MAGENTA,
            durations(run, churned, |r| r.final_ack_s),
        ),
    ];
    let longest = curves
        .iter()
        .flat_map(|c| c.2 .0.iter().copied())
        .chain(run.deadline_s.iter().copied())
        .fold(1.0_f64, f64::max);
    let x_max = longest * 1.5;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d((FLOOR_S..x_max).log_scale(), 0.0..Y_TOP)?;
        chart
            .configure_mesh()
            .x_desc("seconds after publication (log scale)")
            .y_desc("share of members")
            .draw()?;
        for (label, color, (d, of)) in curves {
            if of == 0 {
                continue;
            }
            let style = color.stroke_width(2);
            chart
                .draw_series(LineSeries::new(cdf(d, of), style))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        if let Some(&deadline) = run.deadline_s.first() {
            let style = BLACK.stroke_width(1);
            chart
                .draw_series(LineSeries::new(
                    vec![(deadline, 0.0), (deadline, 1.0)],
                    style,
                ))?
                .label("deadline")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 15))
            .border_style(BLACK)
            .background_style(WHITE.mix(0.85))
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_steps_up_to_the_share_done() {
        let p = cdf(vec![2.0, 1.0], 4);
        assert_eq!(p, vec![(1.0, 0.0), (1.0, 0.25), (2.0, 0.25), (2.0, 0.5)]);
    }
}
