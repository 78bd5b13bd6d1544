//! The Shoal node: the only crate with tokio, sled and HTTP. It owns the embedded
//! [`store`], the node's [`ledger`], the [`publish`] pipeline with its [`privacy`] engine,
//! the HTTP [`api`], [`intel`] queries over items received from other publishers, the
//! peer network [`net`], the [`daemon`] that runs them, and the [`cli`] behind the
//! `shoal` binary.

pub mod advisory;
pub mod api;
pub mod cli;
pub mod client;
pub mod credibility;
pub mod daemon;
pub mod datadir;
pub mod export;
pub mod intel;
pub mod ledger;
pub mod localnet;
pub mod metrics;
pub mod net;
pub mod netsim;
pub mod privacy;
pub mod provenance;
pub mod publish;
pub mod situation;
pub mod store;
pub mod taxii;
