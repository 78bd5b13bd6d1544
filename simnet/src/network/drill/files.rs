//! The drill's files in a run's output directory: `drill.csv` (one row per member and
//! advisory, absolute simulated seconds, empty cells for what never happened) and
//! `drill.svg` (the CDF plot). Both are functions of the [`DrillRun`] alone, so the same
//! seed gives byte-identical files.

use std::fmt::Write as _;

use super::results::DrillRun;

/// The per-member file.
pub const DRILL_CSV: &str = "drill.csv";
/// The CDF plot.
pub const DRILL_SVG: &str = "drill.svg";

fn cell(x: Option<f64>) -> String {
    x.map_or_else(String::new, |v| format!("{v:.6}"))
}

/// `drill.csv`.
pub fn drill_csv(run: &DrillRun) -> String {
    let mut out = String::from(
        "advisory,node,behaviour,offline_at_publish,back_s,online_throughout,notified_s,via,first_ack_s,final_ack_s,status\n",
    );
    for r in &run.rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            r.advisory,
            r.node,
            r.behaviour,
            r.offline_at_publish,
            cell(r.back_s),
            r.online_throughout,
            cell(r.notified_s),
            r.via.as_deref().unwrap_or_default(),
            cell(r.first_ack_s),
            cell(r.final_ack_s),
            r.status.as_deref().unwrap_or_default(),
        );
    }
    out
}
