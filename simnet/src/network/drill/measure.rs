//! From the per-member rows of one advisory to its [`AdvisoryOutcome`]: nearest-rank
//! percentiles of time-to-notify, time-to-first-ack and time-to-acknowledge, the shares
//! done by the deadline, and the split between members online and offline (churned) at
//! publication. Durations are rounded to the millisecond so `results.json` reads well.

use std::collections::BTreeMap;

use super::results::{AdvisoryOutcome, Churned, Group, MemberRow, Quantiles};

/// What the simulator knows about an advisory besides its rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    /// STIX id.
    pub id: String,
    /// Severity.
    pub severity: String,
    /// Drill flag.
    pub drill: bool,
    /// Publication (simulated seconds).
    pub published_s: f64,
    /// Deadline after publication (seconds).
    pub deadline_s: f64,
    /// Acks published.
    pub acks_published: usize,
    /// Acks the anchor held.
    pub acks_at_anchor: usize,
    /// Acks the anchor ignored (a later status was already in force).
    pub acks_superseded: usize,
}

fn ms(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Nearest-rank `q`-quantile of sorted `v`.
fn rank(v: &[f64], q: f64) -> f64 {
    let n = v.len();
    let i = ((q * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1;
    v.get(i).copied().unwrap_or(0.0)
}

/// p50/p90/p99/max of `values` (seconds).
pub fn quantiles(mut values: Vec<f64>) -> Quantiles {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    Quantiles {
        count: values.len(),
        p50: ms(rank(&values, 0.5)),
        p90: ms(rank(&values, 0.9)),
        p99: ms(rank(&values, 0.99)),
        max: ms(values.last().copied().unwrap_or(0.0)),
    }
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 {
        1.0
    } else {
        n as f64 / of as f64
    }
}

fn group<'a>(rows: impl Iterator<Item = &'a MemberRow> + Clone, t0: f64, deadline: f64) -> Group {
    let members = rows.clone().count();
    let notify: Vec<f64> = rows
        .clone()
        .filter_map(|r| r.notified_s)
        .map(|t| t - t0)
        .collect();
    let ack: Vec<f64> = rows
        .clone()
        .filter_map(|r| r.final_ack_s)
        .map(|t| t - t0)
        .collect();
    let by = |v: &[f64]| v.iter().filter(|d| **d <= deadline).count();
    Group {
        members,
        notified: notify.len(),
        never_notified: members - notify.len(),
        acknowledged: ack.len(),
        notified_by_deadline: share(by(&notify), members),
        acknowledged_by_deadline: share(by(&ack), members),
        time_to_notify_s: quantiles(notify),
        time_to_ack_s: quantiles(ack),
    }
}

/// The outcome of one advisory from its rows.
pub fn outcome(meta: Meta, rows: &[MemberRow]) -> AdvisoryOutcome {
    let t0 = meta.published_s;
    let deadline = meta.deadline_s;
    let churned_rows = rows.iter().filter(|r| r.offline_at_publish);
    let after_return: Vec<f64> = churned_rows
        .clone()
        .filter_map(|r| Some(r.notified_s? - r.back_s?))
        .collect();
    let mut via: BTreeMap<String, usize> = BTreeMap::new();
    for v in rows.iter().filter_map(|r| r.via.clone()) {
        *via.entry(v).or_default() += 1;
    }
    AdvisoryOutcome {
        id: meta.id,
        severity: meta.severity,
        drill: meta.drill,
        published_s: t0,
        deadline_s: deadline,
        all: group(rows.iter(), t0, deadline),
        time_to_first_ack_s: quantiles(
            rows.iter()
                .filter_map(|r| r.first_ack_s)
                .map(|t| t - t0)
                .collect(),
        ),
        responders: rows
            .iter()
            .filter(|r| matches!(r.behaviour.as_str(), "normal" | "slow"))
            .count(),
        notified_via: via,
        online_at_publish: group(rows.iter().filter(|r| !r.offline_at_publish), t0, deadline),
        churned: Churned {
            group: group(churned_rows, t0, deadline),
            notified_after_return: after_return.iter().filter(|d| **d >= 0.0).count(),
            return_to_notify_s: quantiles(after_return),
        },
        acks_published: meta.acks_published,
        acks_at_anchor: meta.acks_at_anchor,
        acks_superseded: meta.acks_superseded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let q = quantiles((1..=100).map(f64::from).collect());
        assert_eq!(
            (q.count, q.p50, q.p90, q.p99, q.max),
            (100, 50.0, 90.0, 99.0, 100.0)
        );
        assert_eq!(quantiles(Vec::new()), Quantiles::default());
        let one = quantiles(vec![2.5]);
        assert_eq!((one.p50, one.p99, one.max), (2.5, 2.5, 2.5));
    }
}
