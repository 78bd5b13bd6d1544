//! The drill's lines of the `shoal-sim run` summary: per advisory, time-to-notify and
//! time-to-acknowledge percentiles, the shares done by the deadline, who was never
//! notified, and the members offline at publication on their own; and the drill rows of
//! `shoal-sim compare` ([`compare_metrics`]).

use std::fmt::Write as _;

use super::results::{DrillResults, Quantiles};

fn q(x: &Quantiles) -> String {
    if x.count == 0 {
        return "— (none)".into();
    }
    format!(
        "{:.1} / {:.1} / {:.1} / {:.1}  (n={})",
        x.p50, x.p90, x.p99, x.max, x.count
    )
}

/// The summary lines (each ends with a newline).
pub fn summary(d: &DrillResults) -> String {
    let mut out = String::new();
    for (i, a) in d.advisories.iter().enumerate() {
        let kind = if a.drill { "drill" } else { "advisory" };
        let _ = writeln!(
            out,
            "  {kind} #{} ({}, published at {:.0} s, deadline +{:.0} s): {} members",
            i + 1,
            a.severity,
            a.published_s,
            a.deadline_s,
            a.all.members
        );
        let _ = writeln!(
            out,
            "    time to notify p50/p90/p99/max (s)    {}",
            q(&a.all.time_to_notify_s)
        );
        let _ = writeln!(
            out,
            "    time to first ack (s)                 {}",
            q(&a.time_to_first_ack_s)
        );
        let _ = writeln!(
            out,
            "    time to acknowledge (s)               {}",
            q(&a.all.time_to_ack_s)
        );
        let _ = writeln!(
            out,
            "    by the deadline: notified {:.1} %, acknowledged {:.1} %; by the end {} of the {} meant to answer",
            100.0 * a.all.notified_by_deadline,
            100.0 * a.all.acknowledged_by_deadline,
            a.all.acknowledged,
            a.responders
        );
        let via: Vec<String> = a
            .notified_via
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(
            out,
            "    never notified {}; notified by {}",
            a.all.never_notified,
            via.join(", ")
        );
        let c = &a.churned;
        let _ = writeln!(
            out,
            "    offline at publication: {} members, {} notified after their return, {} never",
            c.group.members, c.notified_after_return, c.group.never_notified
        );
        let _ = writeln!(
            out,
            "      time to notify (s)                  {}",
            q(&c.group.time_to_notify_s)
        );
        let _ = writeln!(
            out,
            "      return to notify (s)                {}",
            q(&c.return_to_notify_s)
        );
        let _ = writeln!(
            out,
            "      time to acknowledge (s)             {}",
            q(&c.group.time_to_ack_s)
        );
        let o = &a.online_at_publish;
        let _ = writeln!(
            out,
            "    online at publication: time to notify {}; to acknowledge {}",
            q(&o.time_to_notify_s),
            q(&o.time_to_ack_s)
        );
    }
    out
}

/// The headline figures of the first advisory, for `shoal-sim compare` (`None` where a
/// run has no drill); the same names in the same order whatever the input.
pub fn compare_metrics(d: Option<&DrillResults>) -> Vec<(String, Option<f64>)> {
    let a = d.and_then(|d| d.advisories.first());
    let mut rows: Vec<(String, Option<f64>)> = Vec::new();
    let mut quantiles = |name: &str, pick: fn(&super::AdvisoryOutcome) -> &Quantiles| {
        for (p, get) in [
            ("p50", (|q: &Quantiles| q.p50) as fn(&Quantiles) -> f64),
            ("p90", |q| q.p90),
            ("p99", |q| q.p99),
            ("max", |q| q.max),
        ] {
            rows.push((format!("drill.{name}.{p}"), a.map(|a| get(pick(a)))));
        }
    };
    quantiles("time_to_notify_s", |a| &a.all.time_to_notify_s);
    quantiles("time_to_ack_s", |a| &a.all.time_to_ack_s);
    quantiles("churned.time_to_notify_s", |a| {
        &a.churned.group.time_to_notify_s
    });
    rows.push((
        "drill.notified_by_deadline".into(),
        a.map(|a| a.all.notified_by_deadline),
    ));
    rows.push((
        "drill.acknowledged_by_deadline".into(),
        a.map(|a| a.all.acknowledged_by_deadline),
    ));
    rows.push((
        "drill.never_notified".into(),
        a.map(|a| a.all.never_notified as f64),
    ));
    rows
}
