//! `shoal id`: the node's peer id, public key and C2SP verifier key.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use crate::datadir::DataDir;
use crate::ledger::origin;

pub(super) fn run(root: &Path, as_json: bool) -> anyhow::Result<ExitCode> {
    let dir = DataDir::open(root)?;
    let key = dir.load_key()?;
    let peer_id = key.public().peer_id()?;
    let origin = origin(&dir.config.node.name, &key)?;
    let vkey = shoal_crypto::note::verifier_key(&origin, &key.public());
    let wkey = shoal_crypto::cosignature::witness_verifier_key(&origin, &key.public());
    if as_json {
        let v = json!({
            "peer_id": peer_id.to_string(),
            "public_key": hex::encode(key.public().0),
            "origin": origin,
            "verifier_key": vkey,
            "witness_key": wkey,
            "role": dir.config.node.role.to_string(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("peer id       {peer_id}");
        println!("public key    {}", hex::encode(key.public().0));
        println!("origin        {origin}");
        println!("verifier key  {vkey}");
        println!("witness key   {wkey}");
    }
    Ok(ExitCode::SUCCESS)
}
