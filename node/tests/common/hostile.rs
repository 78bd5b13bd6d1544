//! A hostile peer for network tests: a real libp2p peer built in-process from the node's
//! own behaviour (`shoal_node::net::behaviour`) and an admitted member's key and
//! certificate, driven by the test. It completes the admission exchange like an honest
//! node, then sends whatever the test asks for — gossip on any topic, arbitrary sync
//! request frames — while a background task keeps its swarm polled (answering the
//! victim's admission and sync requests) and records what it observed. It talks only to
//! the peers the test dials (no discovery).
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance};
use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::SwarmEvent;
use libp2p::{kad, noise, tcp, yamux, Multiaddr, PeerId, Swarm};
use shoal_crypto::NodeKey;
use shoal_node::net::behaviour::{Behaviour, BehaviourEvent, Settings};
use shoal_protocol::wire::{Hello, Limits, SyncRequest, SyncResponse};
use tokio::sync::{mpsc, oneshot};

/// What the hostile peer observed (shared with its background task).
#[derive(Debug, Default)]
pub struct Observed {
    /// Peers with an open connection.
    pub connected: HashSet<PeerId>,
    /// Connections established, ever.
    pub established: u64,
    /// Connections closed, ever.
    pub closed: u64,
    /// When the last connection to a peer closed.
    pub last_closed: HashMap<PeerId, Instant>,
    /// `(peer, topic)` subscriptions announced by remote peers.
    pub subscribed: HashSet<(PeerId, String)>,
    /// Admission `Hello` chains received from peers (requests and responses).
    pub hellos: HashMap<PeerId, Vec<u8>>,
    /// Sync requests the victim sent us.
    pub sync_requests_served: u64,
    /// Gossip messages received (honest traffic reaching the hostile peer).
    pub gossip_received: u64,
    /// What the peer answers to sync requests (empty: it holds nothing).
    pub script: SyncScript,
}

/// Scripted sync answers: heads, admission chains, and leaves of one publisher's log
/// (possibly tampered).
#[derive(Default, Debug)]
pub struct SyncScript {
    /// Heads to announce.
    pub heads: Vec<shoal_protocol::wire::Head>,
    /// Chains to answer `Chains` requests with.
    pub chains: Vec<Vec<u8>>,
    /// Leaves by index, served for any publisher asked.
    pub leaves: std::collections::BTreeMap<u64, shoal_protocol::wire::Leaf>,
}

enum Cmd {
    Dial(Multiaddr, oneshot::Sender<Result<(), String>>),
    Publish(IdentTopic, Vec<u8>, oneshot::Sender<Result<(), String>>),
    Subscribe(IdentTopic),
    Sync(PeerId, Vec<u8>, oneshot::Sender<Result<Vec<u8>, String>>),
}

/// The hostile peer's handle; the swarm runs on a background task until dropped.
pub struct HostilePeer {
    /// Its node key (the libp2p identity).
    pub key: NodeKey,
    /// Its libp2p peer id.
    pub peer_id: PeerId,
    /// Its admission chain bytes (empty if none is installed).
    pub chain: Vec<u8>,
    observed: Arc<Mutex<Observed>>,
    cmd: mpsc::UnboundedSender<Cmd>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HostilePeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Behaviour settings: generous limits, so that the hostile side never refuses to send
/// what a test wants to send.
fn settings() -> Settings {
    Settings {
        max_connections: 64,
        max_connections_per_peer: 4,
        relay_server: false,
        mesh_n: 6,
        heartbeat: Duration::from_millis(200),
        max_message_bytes: 4 << 20,
        max_sync_response: 32 << 20,
        sync_timeout: Duration::from_secs(10),
        // Short, so the hostile side may re-send what it sent before.
        duplicate_window: Duration::from_secs(1),
    }
}

fn build_swarm(key: &NodeKey) -> Swarm<Behaviour> {
    let s = settings();
    libp2p::SwarmBuilder::with_existing_identity(key.libp2p_keypair().expect("keypair"))
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .expect("tcp transport")
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .expect("relay client transport")
        .with_behaviour(|k, relay_client| {
            Behaviour::new(k, relay_client, &s)
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })
        })
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build()
}

impl HostilePeer {
    /// A hostile peer with the identity and certificate of the member data directory `dir`
    /// (its `node.key` and, if installed, `admission.json`), subscribed to `topics`.
    pub fn from_member_dir(dir: &Path, topics: &[IdentTopic]) -> HostilePeer {
        let key = NodeKey::load(&dir.join("node.key")).expect("member key");
        let chain = std::fs::read(dir.join("admission.json")).unwrap_or_default();
        Self::new(key, chain, topics)
    }

    /// A hostile peer with `key` presenting `chain` in the admission exchange.
    pub fn new(key: NodeKey, chain: Vec<u8>, topics: &[IdentTopic]) -> HostilePeer {
        let mut swarm = build_swarm(&key);
        for t in topics {
            swarm
                .behaviour_mut()
                .gossipsub
                .subscribe(t)
                .expect("subscribe");
        }
        let peer_id = *swarm.local_peer_id();
        let observed = Arc::new(Mutex::new(Observed::default()));
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(drive(swarm, chain.clone(), rx, observed.clone()));
        HostilePeer {
            key,
            peer_id,
            chain,
            observed,
            cmd: tx,
            task,
        }
    }

    /// Dial `addr` (a `/p2p/<peer id>` multiaddr).
    pub async fn dial(&self, addr: &str) -> Result<(), String> {
        let addr: Multiaddr = addr.parse().map_err(|e| format!("{e}"))?;
        let (tx, rx) = oneshot::channel();
        let _ = self.cmd.send(Cmd::Dial(addr, tx));
        rx.await.map_err(|_| "hostile task stopped".to_string())?
    }

    /// Subscribe to one more topic.
    pub fn subscribe(&self, topic: IdentTopic) {
        let _ = self.cmd.send(Cmd::Subscribe(topic));
    }

    /// Publish `data` on `topic` through gossipsub (flood publish to every peer in it).
    pub async fn publish(&self, topic: IdentTopic, data: Vec<u8>) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        let _ = self.cmd.send(Cmd::Publish(topic, data, tx));
        rx.await.map_err(|_| "hostile task stopped".to_string())?
    }

    /// Send `frame` as a request on the sync protocol; the victim's answer or the failure.
    pub async fn sync_request(&self, peer: PeerId, frame: Vec<u8>) -> Result<Vec<u8>, String> {
        let (tx, rx) = oneshot::channel();
        let _ = self.cmd.send(Cmd::Sync(peer, frame, tx));
        rx.await.map_err(|_| "hostile task stopped".to_string())?
    }

    /// Script the sync answers.
    pub fn script(&self, f: impl FnOnce(&mut SyncScript)) {
        f(&mut self.observed.lock().unwrap().script);
    }

    /// Read what was observed so far.
    pub fn observed<R>(&self, f: impl FnOnce(&Observed) -> R) -> R {
        f(&self.observed.lock().unwrap())
    }

    /// Whether a connection to `peer` is open.
    pub fn is_connected(&self, peer: &PeerId) -> bool {
        self.observed(|o| o.connected.contains(peer))
    }

    /// Whether `peer` announced a subscription to `topic`.
    pub fn sees_subscription(&self, peer: &PeerId, topic: &IdentTopic) -> bool {
        let t = topic.hash().into_string();
        self.observed(|o| o.subscribed.contains(&(*peer, t)))
    }
}

/// The background task: poll the swarm, run commands, answer the victim.
async fn drive(
    mut swarm: Swarm<Behaviour>,
    chain: Vec<u8>,
    mut rx: mpsc::UnboundedReceiver<Cmd>,
    observed: Arc<Mutex<Observed>>,
) {
    let mut pending: HashMap<OutboundRequestId, oneshot::Sender<Result<Vec<u8>, String>>> =
        HashMap::new();
    let limits = Limits::default();
    loop {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                None => return,
                Some(Cmd::Dial(addr, reply)) => {
                    let _ = reply.send(swarm.dial(addr).map_err(|e| e.to_string()));
                }
                Some(Cmd::Subscribe(t)) => {
                    let _ = swarm.behaviour_mut().gossipsub.subscribe(&t);
                }
                Some(Cmd::Publish(topic, data, reply)) => {
                    let r = swarm
                        .behaviour_mut()
                        .gossipsub
                        .publish(topic, data)
                        .map(|_| ())
                        .map_err(|e| e.to_string());
                    let _ = reply.send(r);
                }
                Some(Cmd::Sync(peer, frame, reply)) => {
                    let id = swarm.behaviour_mut().sync.send_request(&peer, frame);
                    pending.insert(id, reply);
                }
            },
            ev = swarm.select_next_some() => on_event(&mut swarm, ev, &chain, &limits, &observed, &mut pending),
        }
    }
}

fn on_event(
    swarm: &mut Swarm<Behaviour>,
    ev: SwarmEvent<BehaviourEvent>,
    chain: &[u8],
    limits: &Limits,
    observed: &Arc<Mutex<Observed>>,
    pending: &mut HashMap<OutboundRequestId, oneshot::Sender<Result<Vec<u8>, String>>>,
) {
    use request_response::{Event, Message};
    match ev {
        SwarmEvent::ConnectionEstablished {
            peer_id,
            num_established,
            ..
        } => {
            {
                let mut o = observed.lock().unwrap();
                o.connected.insert(peer_id);
                o.established += 1;
            }
            if num_established.get() == 1 {
                // Present our certificate, like an honest node.
                let hello = Hello {
                    chain: chain.to_vec(),
                };
                swarm
                    .behaviour_mut()
                    .admission
                    .send_request(&peer_id, hello.encode());
            }
        }
        SwarmEvent::ConnectionClosed {
            peer_id,
            num_established,
            ..
        } => {
            let mut o = observed.lock().unwrap();
            o.closed += 1;
            if num_established == 0 {
                o.connected.remove(&peer_id);
                o.last_closed.insert(peer_id, Instant::now());
                o.subscribed.retain(|(p, _)| *p != peer_id);
            }
        }
        SwarmEvent::Behaviour(BehaviourEvent::Admission(ev)) => match ev {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                observed.lock().unwrap().hellos.insert(peer, request);
                let hello = Hello {
                    chain: chain.to_vec(),
                };
                let _ = swarm
                    .behaviour_mut()
                    .admission
                    .send_response(channel, hello.encode());
            }
            Event::Message {
                peer,
                message: Message::Response { response, .. },
                ..
            } => {
                observed.lock().unwrap().hellos.insert(peer, response);
            }
            _ => {}
        },
        SwarmEvent::Behaviour(BehaviourEvent::Sync(ev)) => match ev {
            Event::Message {
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                // Unless scripted, hold nothing: empty heads, refuse leaves (neither is
                // an offence).
                let answer = {
                    let o = observed.lock().unwrap();
                    let script = &o.script;
                    match SyncRequest::decode(&request, limits) {
                        Ok(SyncRequest::Heads) => SyncResponse::Heads(script.heads.clone()),
                        Ok(SyncRequest::Chains(_)) => SyncResponse::Chains(script.chains.clone()),
                        Ok(SyncRequest::Leaves { publisher, ranges })
                            if !script.leaves.is_empty() =>
                        {
                            SyncResponse::Leaves {
                                publisher,
                                items: script
                                    .leaves
                                    .iter()
                                    .filter(|(i, _)| {
                                        ranges.iter().any(|&(a, b)| **i >= a && **i < b)
                                    })
                                    .map(|(i, l)| (*i, l.clone()))
                                    .collect(),
                            }
                        }
                        _ => SyncResponse::Refused("not held".into()),
                    }
                };
                observed.lock().unwrap().sync_requests_served += 1;
                let _ = swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, answer.encode());
            }
            Event::Message {
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                if let Some(reply) = pending.remove(&request_id) {
                    let _ = reply.send(Ok(response));
                }
            }
            Event::OutboundFailure {
                request_id, error, ..
            } => {
                if let Some(reply) = pending.remove(&request_id) {
                    let _ = reply.send(Err(error.to_string()));
                }
            }
            _ => {}
        },
        // Stay with the peers the test dialled: Kademlia's automatic bootstrap would
        // otherwise discover and dial the victim's neighbours.
        SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::RoutingUpdated { peer, .. })) => {
            swarm.behaviour_mut().kad.remove_peer(&peer);
        }
        SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(ev)) => match ev {
            gossipsub::Event::Subscribed { peer_id, topic } => {
                observed
                    .lock()
                    .unwrap()
                    .subscribed
                    .insert((peer_id, topic.into_string()));
            }
            gossipsub::Event::Unsubscribed { peer_id, topic } => {
                observed
                    .lock()
                    .unwrap()
                    .subscribed
                    .remove(&(peer_id, topic.into_string()));
            }
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                ..
            } => {
                observed.lock().unwrap().gossip_received += 1;
                // Never forward honest traffic.
                swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(
                        &message_id,
                        &propagation_source,
                        MessageAcceptance::Ignore,
                    );
            }
            _ => {}
        },
        _ => {}
    }
}

/// `n` random bytes.
pub fn random_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|_| rand::random::<u8>()).collect()
}

/// Unix seconds now.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A well-formed envelope signed by `key` at `index`, carrying a small STIX indicator.
pub fn signed_envelope(
    key: &NodeKey,
    index: u64,
    tlp: shoal_protocol::Tlp,
    community: &str,
    n: u64,
) -> Vec<u8> {
    padded_envelope(key, index, tlp, community, n, 0)
}

/// [`signed_envelope`] whose indicator carries a `description` of `pad` bytes.
pub fn padded_envelope(
    key: &NodeKey,
    index: u64,
    tlp: shoal_protocol::Tlp,
    community: &str,
    n: u64,
    pad: usize,
) -> Vec<u8> {
    let mut object = serde_json::json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--6f1d2c3b-0000-4000-8000-{n:012x}"),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("hostile {n}"),
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    });
    if pad > 0 {
        object["description"] = "x".repeat(pad).into();
    }
    let body = shoal_protocol::EnvelopeBody {
        publisher: key.public(),
        ledger_index: index,
        published_at: now_secs(),
        tlp,
        community: community.into(),
        object: shoal_protocol::jcs::canonicalize(&object).expect("canonical JSON"),
        extensions: Vec::new(),
    };
    body.sign_encoded(key).expect("sign envelope")
}

/// The same bytes with one bit of the trailing 64-byte signature flipped.
pub fn flip_signature(mut bytes: Vec<u8>) -> Vec<u8> {
    let i = bytes.len() - 10;
    bytes[i] ^= 0x01;
    bytes
}

/// A certificate chain for `subject` issued by `issuer` (a MEMBER, which may not issue),
/// followed by the issuer's own real chain: well-formed, correctly signed, invalid.
pub fn member_issued_chain(issuer: &NodeKey, issuer_chain: &[u8], subject: &NodeKey) -> Vec<u8> {
    use shoal_protocol::admission::{Certificate, Chain, Grant, Role};
    let parent = Chain::parse(issuer_chain).expect("issuer chain");
    let grant = Grant::for_days(Role::Member, ["energy"], now_secs(), 30);
    let cert =
        Certificate::issue(issuer, subject.public(), "rogue", &grant, [7; 8]).expect("certificate");
    let mut certs = vec![cert];
    certs.extend(parent.certificates);
    Chain::new(certs).to_json_pretty().into_bytes()
}
