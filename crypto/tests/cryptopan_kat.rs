//! Crypto-PAn known answers: the key and raw → anonymised IPv4 pairs of the original
//! reference implementation's sample trace.

use std::net::Ipv4Addr;

use shoal_crypto::cryptopan::CryptoPan;

#[test]
fn reproduces_the_reference_sample_trace() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/cryptopan.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let key = CryptoPan::from_key_bytes(v["key_hex"].as_str().unwrap().as_bytes()).unwrap();
    let pairs = v["ipv4_pairs"].as_array().unwrap();
    assert!(pairs.len() >= 20, "the sample trace has many pairs");
    for p in pairs {
        let raw: Ipv4Addr = p["raw"].as_str().unwrap().parse().unwrap();
        let want: Ipv4Addr = p["anonymized"].as_str().unwrap().parse().unwrap();
        assert_eq!(key.anonymize_v4(raw), want, "{raw}");
    }
}
