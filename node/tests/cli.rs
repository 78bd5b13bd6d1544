//! The `shoal` command line: init refuses to overwrite an identity, `id` prints the
//! keys, `publish` prints per-object outcomes, `ledger` works with the node stopped,
//! and broken configuration gets a message naming the key.

mod common;

use common::*;

#[test]
fn help_explains_every_subcommand() {
    let (code, out, _) = shoal(&["--help"]);
    assert_eq!(code, 0);
    for sub in ["init", "node", "id", "publish", "ledger"] {
        assert!(out.contains(sub), "{out}");
    }
    let (code, out, _) = shoal(&["ledger", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("verify") && out.contains("proof"), "{out}");
}

#[test]
fn init_writes_private_identity_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "refuser");
    let d = dir.to_str().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["node.key", "api.token"] {
            let mode = std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
    }
    let key_before = std::fs::read(dir.join("node.key")).unwrap();
    let (code, _, err) = shoal(&["init", "--data-dir", d]);
    assert_ne!(code, 0);
    assert!(err.contains("refusing to overwrite"), "{err}");
    assert_eq!(std::fs::read(dir.join("node.key")).unwrap(), key_before);

    let (code, out, _) = shoal(&["id", "--data-dir", d, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let peer = v["peer_id"].as_str().unwrap();
    assert!(peer.starts_with("12D3KooW"), "{peer}");
    assert_eq!(v["origin"], format!("refuser/{peer}"));
    let vkey = shoal_crypto::Verifier::parse(v["verifier_key"].as_str().unwrap()).unwrap();
    assert_eq!(hex::encode(vkey.key.0), v["public_key"].as_str().unwrap());
}

#[test]
fn broken_config_names_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "broken");
    let cfg = dir.join("shoal.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace("batch_max = 1024", "batch_max = 0")).unwrap();
    let (code, _, err) = shoal(&["node", "--data-dir", dir.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("ledger.batch_max"), "{err}");
    let (code, _, err) = shoal(&[
        "id",
        "--data-dir",
        tmp.path().join("nothing").to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("shoal init"), "{err}");
}

#[test]
fn publish_through_cli_then_ledger_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "clipub");
    let d = dir.to_str().unwrap();
    let node = Daemon::start(&dir);
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/poison-ivy.json");
    let (code, out, err) = shoal(&["publish", "--data-dir", d, file]);
    assert_eq!(code, 1, "one object is invalid: {out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0]
        .starts_with("#0 indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f appended index=0 leaf="));
    assert!(lines[3].contains("rejected:"), "{out}");
    let (code, out, _) = shoal(&["ledger", "--data-dir", d, "status"]);
    assert_eq!(code, 0);
    assert!(out.contains("running"), "{out}");
    assert!(node.terminate().success());
    let (code, out, err) = shoal(&["ledger", "--data-dir", d, "status"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("not running") && out.contains("size              3"),
        "{out}"
    );
    let (code, out, _) = shoal(&["ledger", "--data-dir", d, "checkpoint"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("clipub/12D3KooW"), "{out}");
    assert!(out.lines().nth(1) == Some("3"), "{out}");
    let (code, _, err) = shoal(&["publish", "--data-dir", d, file]);
    assert_eq!(code, 2);
    assert!(err.contains("no node is running"), "{err}");
}
