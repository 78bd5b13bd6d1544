//! Reminders: a critical advisory that concerns this node and that it has not answered
//! `mitigated` or `not_affected` by the deadline is overdue (`shoal_protocol::advisory::
//! is_overdue`). The node is reminded locally: a `warn` log line per advisory at most once
//! an hour, the gauge `shoal_advisories_overdue`, and `overdue: true` in
//! `GET /api/v1/advisories`.
//!
//! An advisory concerns this node when it did not publish it itself, its scope's sectors
//! and regions include the node's own (`privacy.dp.member_sector` / `member_region`,
//! [`shoal_protocol::advisory::Scope::includes`]) and its scope's communities, if any,
//! meet the node's admitted communities.

use std::sync::Arc;
use std::time::Duration;

use shoal_protocol::advisory::is_overdue;
use tokio::sync::watch;

use super::index::{AdvisoryEntry, Index};
use super::{Advisories, Identity};

/// How often the reminder task runs (it also runs at start).
pub const INTERVAL: Duration = Duration::from_secs(2);
/// Least time between two log reminders of one advisory.
pub const LOG_EVERY_SECS: u64 = 3600;

/// Whether `entry` concerns the node `me`, admitted to `communities` (`*`: all).
pub fn concerns(entry: &AdvisoryEntry, me: &Identity, communities: &[String]) -> bool {
    let scope = &entry.advisory.scope;
    entry.publisher != me.key
        && scope.includes(me.sector.as_deref(), me.region.as_deref())
        && (scope.communities.is_empty()
            || communities
                .iter()
                .any(|c| c == "*" || scope.communities.contains(c)))
}

/// Whether this node is overdue on `entry` at `now_unix`.
pub fn overdue(
    index: &Index,
    entry: &AdvisoryEntry,
    me: &Identity,
    communities: &[String],
    now_unix: i64,
) -> bool {
    concerns(entry, me, communities)
        && is_overdue(
            &entry.advisory,
            index.status_of(&entry.advisory.id, &me.key),
            now_unix,
        )
}

/// The advisories this node is overdue on (ids with titles).
pub fn overdue_list(
    adv: &Advisories,
    communities: &[String],
    now_unix: i64,
) -> Vec<(String, String)> {
    let Some(index) = adv.index() else {
        return Vec::new();
    };
    index
        .advisories
        .values()
        .filter(|e| overdue(&index, e, &adv.me, communities, now_unix))
        .map(|e| (e.advisory.id.clone(), e.advisory.title.clone()))
        .collect()
}

/// One reminder round: refresh the index, count what is overdue, set the gauge and log
/// (at most once per advisory per [`LOG_EVERY_SECS`]). Returns the count.
pub fn round(
    adv: &Advisories,
    metrics: &crate::metrics::Metrics,
    communities: &[String],
    now_unix: u64,
) -> usize {
    if let Err(e) = adv.refresh() {
        tracing::warn!(error = %e, "advisories: reading the store failed");
    }
    let now = i64::try_from(now_unix).unwrap_or(i64::MAX);
    let list = overdue_list(adv, communities, now);
    metrics.set_advisories_overdue(list.len());
    if let Ok(mut reminded) = adv.reminded.lock() {
        reminded.retain(|id, _| list.iter().any(|(i, _)| i == id));
        for (id, title) in &list {
            let due = reminded
                .get(id)
                .is_none_or(|last| now_unix.saturating_sub(*last) >= LOG_EVERY_SECS);
            if due {
                tracing::warn!(
                    advisory = %id,
                    title = %title,
                    "critical advisory past its deadline without a final acknowledgement \
                     (shoal advisory ack {id} --status mitigated|not_affected)"
                );
                reminded.insert(id.clone(), now_unix);
            }
        }
    }
    list.len()
}

/// Run reminder rounds every [`INTERVAL`] until shutdown (the first one at once: it
/// also builds the index from the store).
pub async fn run(
    adv: Arc<Advisories>,
    metrics: Arc<crate::metrics::Metrics>,
    net: crate::net::NetHandle,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tick.tick() => {
                let communities = own_communities(&net);
                let (a, m) = (adv.clone(), metrics.clone());
                let now = crate::daemon::unix_now();
                if let Err(e) = tokio::task::spawn_blocking(move || round(&a, &m, &communities, now)).await {
                    tracing::error!(error = %e, "advisory reminders failed");
                }
            }
        }
    }
}

/// The node's admitted communities as the network sees them (`*` for a trust root).
pub fn own_communities(net: &crate::net::NetHandle) -> Vec<String> {
    net.status()
        .admission
        .map(|a| a.communities)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::index::AdvisoryEntry;
    use shoal_crypto::NodeKey;
    use shoal_protocol::advisory::{Ack, Advisory};

    fn data(name: &str) -> serde_json::Value {
        let path = format!(
            "{}/../protocol/tests/data/advisory/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn overdue_advisories_are_counted_and_logged_once_an_hour() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path(), 8).unwrap();
        let me = NodeKey::from_seed([3; 32]).public();
        let anchor = NodeKey::from_seed([4; 32]).public();
        let adv = Advisories::new(
            store,
            Identity {
                key: me,
                anchor: false,
                sector: Some("energy".into()),
                region: Some("north".into()),
                roots: Default::default(),
                own_chain: Vec::new(),
            },
            1 << 16,
        );
        let object = data("advisory.json");
        let advisory = Advisory::from_object(&object).unwrap();
        let deadline = u64::try_from(advisory.deadline.unix_seconds()).unwrap();
        let id = advisory.id.clone();
        adv.index.write().unwrap().advisories.insert(
            id.clone(),
            AdvisoryEntry {
                advisory,
                object,
                publisher: anchor,
                index: 0,
                community: "ot-energy".into(),
                tlp: shoal_protocol::Tlp::Green,
                published_at: 0,
                versions: 1,
            },
        );
        let metrics = crate::metrics::Metrics::new();
        let comms = vec!["ot-energy".to_owned()];
        // Before the deadline: nothing.
        assert_eq!(round(&adv, &metrics, &comms, deadline - 1), 0);
        // After: overdue, logged once, not again within the hour.
        assert_eq!(round(&adv, &metrics, &comms, deadline + 1), 1);
        assert_eq!(adv.reminded.lock().unwrap()[&id], deadline + 1);
        assert_eq!(round(&adv, &metrics, &comms, deadline + 60), 1);
        assert_eq!(adv.reminded.lock().unwrap()[&id], deadline + 1);
        assert_eq!(
            round(&adv, &metrics, &comms, deadline + 1 + LOG_EVERY_SECS),
            1
        );
        assert_eq!(
            adv.reminded.lock().unwrap()[&id],
            deadline + 1 + LOG_EVERY_SECS
        );
        // Out of scope (another community, another sector): not overdue.
        assert_eq!(
            round(&adv, &metrics, &["water".to_owned()], deadline + 1),
            0
        );
        // A final ack ends it.
        let mut ack = data("ack.json");
        ack["status"] = "not_affected".into();
        let ack = Ack::from_object(&ack).unwrap();
        {
            let mut index = adv.index.write().unwrap();
            let acks =
                index
                    .acks
                    .entry(id.clone())
                    .or_insert_with(|| crate::advisory::index::Acks {
                        book: shoal_protocol::advisory::AckBook::new(id.clone()),
                        history: Default::default(),
                    });
            acks.book.record(me, &ack).unwrap();
        }
        assert_eq!(round(&adv, &metrics, &comms, deadline + 1), 0);
        assert!(adv.reminded.lock().unwrap().is_empty());
    }
}
