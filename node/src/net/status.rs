//! What the network layer shows to the API and CLI (`shoal peers`, `GET /api/v1/peers`):
//! a snapshot refreshed by the driver, read without blocking it.

use std::collections::BTreeMap;

use libp2p::multiaddr::Protocol;
use serde::Serialize;
use shoal_protocol::admission::Communities;

use super::driver::Driver;
use super::now_ms;

/// This node's admission as the network sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OwnAdmission {
    /// Name in the certificate (or `anchor` for a trust root).
    pub name: String,
    /// `member` or `anchor`.
    pub role: String,
    /// Communities (`["*"]` for a trust root).
    pub communities: Vec<String>,
    /// Expiry (unix seconds; `u64::MAX` for a trust root).
    pub expires_at: u64,
}

/// One connected peer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeerInfo {
    /// libp2p peer id.
    pub peer_id: String,
    /// Whether its admission chain verified.
    pub admitted: bool,
    /// Name in its certificate.
    pub name: Option<String>,
    /// `member` or `anchor`.
    pub role: Option<String>,
    /// Its communities.
    pub communities: Vec<String>,
    /// Our penalty score for it (0 is clean; negative is worse).
    pub score: f64,
    /// Its reputation's part of its application score (`penalty::reputation_score`).
    pub reputation: f64,
    /// gossipsub's overall score for it.
    pub gossip_score: Option<f64>,
    /// Remote addresses of its connections.
    pub addresses: Vec<String>,
    /// Whether some connection to it goes through a relay.
    pub relayed: bool,
}

/// Incidents the status snapshot carries (the journal keeps more).
pub const STATUS_INCIDENTS: usize = 200;

/// Counters of the network layer.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Counters {
    /// Intel items accepted from gossip.
    pub gossip_accepted: u64,
    /// Gossip messages ignored (duplicates, not eligible, unknown publisher).
    pub gossip_ignored: u64,
    /// Gossip messages rejected (invalid), by reason in `offences`.
    pub gossip_rejected: u64,
    /// Intel items obtained by sync.
    pub synced_items: u64,
    /// Leaf hashes obtained by sync (items this node is not eligible for).
    pub synced_hashes: u64,
    /// Own items gossiped.
    pub published: u64,
    /// Sync requests served.
    pub sync_served: u64,
    /// Checkpoints verified and applied.
    pub checkpoints: u64,
    /// Checkpoints of other publishers this node cosigned as a witness.
    pub cosigned: u64,
    /// Of those, cosigned after verifying an RFC 9162 consistency proof from the last
    /// checkpoint cosigned for the log (the others were the first seen of their log).
    pub cosigned_with_proof: u64,
    /// Add-checkpoint requests this node answered as a witness.
    pub witness_requests: u64,
    /// Checkpoints this node refused to cosign: a bad consistency proof, a size going
    /// backwards, an equivocation (not the conflicts that only tell a requester the size
    /// the witness is at).
    pub witness_refusals: u64,
    /// Cosignatures of our own checkpoints received from witnesses we pushed them to.
    pub own_cosignatures: u64,
    /// Equivocation proofs verified and recorded.
    pub equivocations: u64,
    /// Items held back until their publisher's admission arrives.
    pub parked_items: u64,
    /// Bytes of those items.
    pub parked_bytes: u64,
}

/// The snapshot.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct NetStatus {
    /// Whether the peer network is running.
    pub enabled: bool,
    /// This node's peer id.
    pub peer_id: String,
    /// Addresses the node listens on (including relayed ones).
    pub listen_addrs: Vec<String>,
    /// Own admission (None: not admitted, the network gives it nothing).
    pub admission: Option<OwnAdmission>,
    /// Connected peers.
    pub peers: Vec<PeerInfo>,
    /// Offences counted by kind.
    pub offences: BTreeMap<String, u64>,
    /// Counters.
    pub counters: Counters,
    /// Peers that misbehaved: offences by kind, penalty, ban (most recent first).
    pub offenders: Vec<super::penalty::Offender>,
    /// The latest incidents (at most [`STATUS_INCIDENTS`], newest first).
    pub incidents: Vec<super::penalty::Incident>,
    /// Relay reservations held (relay peer ids).
    pub relay_reservations: Vec<String>,
    /// AutoNAT's view of our reachability.
    pub nat_status: String,
    /// Publishers whose logs this node replicates: (publisher hex, verified size, best known size).
    pub logs: Vec<LogInfo>,
}

/// Replication state of one publisher's log.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogInfo {
    /// Publisher public key, hex.
    pub publisher: String,
    /// Peer id of the publisher.
    pub peer_id: String,
    /// Leaves held and verified against a checkpoint.
    pub verified_size: u64,
    /// Size of the newest checkpoint known.
    pub known_size: u64,
}

/// Communities as a list (`*` for all).
pub(super) fn communities_list(c: &Communities) -> Vec<String> {
    match c {
        Communities::All => vec!["*".into()],
        Communities::Only(s) => s.iter().cloned().collect(),
    }
}

impl Driver {
    pub(super) fn publish_status(&mut self) {
        let now = now_ms();
        let gs = &self.swarm.behaviour().gossipsub;
        let mut peers: Vec<PeerInfo> = self
            .peers
            .iter()
            .map(|(id, p)| PeerInfo {
                peer_id: id.to_string(),
                admitted: p.admitted.is_some(),
                name: p.admitted.as_ref().map(|a| a.name.clone()),
                role: p.admitted.as_ref().map(|a| a.role.to_string()),
                communities: p
                    .admitted
                    .as_ref()
                    .map(|a| communities_list(&a.communities))
                    .unwrap_or_default(),
                score: self.penalties.score(id, now),
                reputation: self.reputation(id),
                gossip_score: gs.peer_score(id),
                addresses: p.addrs.iter().map(|a| a.to_string()).collect(),
                relayed: p
                    .addrs
                    .iter()
                    .any(|a| a.iter().any(|x| matches!(x, Protocol::P2pCircuit))),
            })
            .collect();
        peers.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        let mut logs: Vec<LogInfo> = self
            .replicas
            .publishers()
            .into_iter()
            .filter_map(|p| {
                let (v, k) = self.replicas.sizes(&p)?;
                Some(LogInfo {
                    publisher: hex::encode(p.0),
                    peer_id: p.peer_id().map(|x| x.to_string()).unwrap_or_default(),
                    verified_size: v,
                    known_size: k,
                })
            })
            .collect();
        logs.sort_by(|a, b| a.publisher.cmp(&b.publisher));
        let status = NetStatus {
            enabled: true,
            peer_id: self.own_peer.to_string(),
            listen_addrs: self.listen_addrs.iter().map(|a| a.to_string()).collect(),
            admission: self.dir.own.as_ref().map(|a| OwnAdmission {
                name: a.name.clone(),
                role: a.role.to_string(),
                communities: communities_list(&a.communities),
                expires_at: a.expires_at,
            }),
            peers,
            offences: self
                .penalties
                .counts()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            counters: {
                let (items, bytes) = self.parking.size();
                let mut c = self.counters.clone();
                c.parked_items = items as u64;
                c.parked_bytes = bytes as u64;
                c
            },
            offenders: self.penalties.offenders(now_ms()),
            incidents: self.penalties.incidents(STATUS_INCIDENTS),
            relay_reservations: self.reservations.iter().map(|p| p.to_string()).collect(),
            nat_status: self.nat.clone(),
            logs,
        };
        self.status_tx.send_if_modified(|s| {
            if *s != status {
                *s = status;
                true
            } else {
                false
            }
        });
    }
}
