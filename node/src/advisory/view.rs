//! The JSON answers of the advisory endpoints: a one-line summary per advisory for the
//! list, and the full view of one advisory with its acknowledgements.
//!
//! Members who acknowledged are shown pseudonymously: a per-epoch token of their key
//! (`member`, the node's pseudonym key, class `member`), their admission role,
//! communities, and the sector and region their admitting anchor vouched for in their
//! certificate, never their certified name. Each ack names its ledger
//! position, whether its signature verifies now, and the URL of its tlog-proof
//! (`/api/v1/intel/{publisher}/{index}/proof`), which anyone can check offline.

use serde_json::{json, Value};
use shoal_crypto::keys::PublicKey;
use shoal_crypto::PseudonymKey;
use shoal_protocol::advisory::AckStatus;

use super::index::{AckEntry, AdvisoryEntry, Index};
use super::roles::Roles;
use super::{reminders, Advisories};

/// What a view needs besides the index.
pub struct Ctx<'a> {
    /// The service.
    pub adv: &'a Advisories,
    /// Known admissions.
    pub roles: &'a Roles,
    /// The node's admitted communities.
    pub communities: &'a [String],
    /// Now (unix seconds).
    pub now: i64,
    /// Pseudonyms of members.
    pub pseudonyms: &'a PseudonymKey,
}

/// The proof URL of an item.
pub fn proof_url(publisher: &PublicKey, index: u64) -> String {
    format!("/api/v1/intel/{}/{index}/proof", hex::encode(publisher.0))
}

const STATUSES: [AckStatus; 4] = [
    AckStatus::Received,
    AckStatus::Assessing,
    AckStatus::Mitigated,
    AckStatus::NotAffected,
];

/// The list line of one advisory.
pub fn summary(index: &Index, e: &AdvisoryEntry, ctx: &Ctx) -> Value {
    let a = &e.advisory;
    let mut counts = serde_json::Map::new();
    let book = index.acks.get(&a.id).map(|x| &x.book);
    for s in STATUSES {
        let n = book.map_or(0, |b| b.iter().filter(|(_, r)| r.status == s).count());
        counts.insert(s.as_str().to_owned(), n.into());
    }
    counts.insert("total".into(), book.map_or(0, |b| b.len()).into());
    let me = &ctx.adv.me;
    json!({
        "id": a.id,
        "title": a.title,
        "severity": a.severity.as_str(),
        "publisher": hex::encode(e.publisher.0),
        "authoritative": ctx.adv.is_anchor(ctx.roles, &e.publisher),
        "community": e.community,
        "tlp": e.tlp,
        "created": a.created.as_str(),
        "modified": a.modified.as_str(),
        "deadline": a.deadline.as_str(),
        "drill": a.drill,
        "revoked": a.revoked(),
        "has_playbook": a.playbook.is_some(),
        "ledger_index": e.index,
        "acks": counts,
        "own_status": index.status_of(&a.id, &me.key).map(AckStatus::as_str),
        "concerns_me": reminders::concerns(e, me, ctx.communities),
        "overdue": reminders::overdue(index, e, me, ctx.communities, ctx.now),
    })
}

fn ack_item(ctx: &Ctx, member: &PublicKey, h: &AckEntry) -> Value {
    json!({
        "index": h.index,
        "ack_id": h.ack_id,
        "status": h.status.as_str(),
        "created": h.created,
        "note": h.note,
        "in_force": h.in_force,
        "ignored": h.ignored,
        "signature_verified": ctx.adv.signature_verifies(member, h.index),
        "proof": proof_url(member, h.index),
    })
}

/// The full view of one advisory.
pub fn detail(index: &Index, e: &AdvisoryEntry, ctx: &Ctx) -> Value {
    let mut v = summary(index, e, ctx);
    let acks: Vec<Value> = index
        .acks
        .get(&e.advisory.id)
        .map(|acks| {
            acks.book
                .iter()
                .map(|(member, record)| {
                    let history: Vec<Value> = acks
                        .history
                        .get(member)
                        .into_iter()
                        .flatten()
                        .map(|h| ack_item(ctx, member, h))
                        .collect();
                    let current = history
                        .iter()
                        .find(|h| h["in_force"] == true)
                        .cloned()
                        .unwrap_or(Value::Null);
                    let admitted = ctx.roles.get(member);
                    json!({
                        "member": format!("m-{}", ctx.pseudonyms.token("member", &member.0)),
                        "role": admitted.map(|a| a.role.as_str()),
                        "communities": admitted.map(|a| a.communities.clone()),
                        "sector": admitted.and_then(|a| a.sector.clone()),
                        "region": admitted.and_then(|a| a.region.clone()),
                        "status": record.status.as_str(),
                        "first_at": record.first_at.as_str(),
                        "updated_at": record.updated_at.as_str(),
                        "note": current["note"],
                        "publisher": hex::encode(member.0),
                        "index": current["index"],
                        "signature_verified": current["signature_verified"],
                        "proof": current["proof"],
                        "history": history,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        map.insert("object".into(), e.object.clone());
        map.insert(
            "playbook".into(),
            e.object.get("playbook").cloned().unwrap_or(Value::Null),
        );
        map.insert(
            "ledger".into(),
            json!({
                "publisher": hex::encode(e.publisher.0),
                "index": e.index,
                "published_at": e.published_at,
                "versions": e.versions,
                "signature_verified": ctx.adv.signature_verifies(&e.publisher, e.index),
                "proof": proof_url(&e.publisher, e.index),
            }),
        );
        map.insert("acknowledgements".into(), Value::Array(acks));
    }
    v
}
