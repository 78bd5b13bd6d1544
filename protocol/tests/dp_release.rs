//! Differential privacy, deterministic properties: the recorded `ε` is OpenDP's privacy map
//! (per field and composed), receipts round-trip, releases stay valid STIX with coarsened
//! times and preserved order constraints, and bad inputs are refused without panicking.

use std::collections::HashSet;

use opendp::domains::AtomDomain;
use opendp::measurements::{make_laplace, make_randomized_response};
use opendp::metrics::AbsoluteDistance;
use opendp::traits::InfAdd;
use proptest::prelude::*;
use serde_json::{json, Value};
use shoal_protocol::dp::mechanisms::{count_scale, rr_probability};
use shoal_protocol::dp::time::{coarsen, format_unix};
use shoal_protocol::dp::{
    plan, release, DpError, DpParams, PrivacyReceipt, ReceiptEntry, MAX_RECEIPT_BYTES,
    RECEIPT_VERSION,
};
use shoal_protocol::stix::{validate_object, StixObject, Timestamp};
use shoal_protocol::{Extension, ExtensionKind};

fn sectors() -> Vec<String> {
    ["energy", "finance", "health", "government", "retail"]
        .map(String::from)
        .to_vec()
}

fn regions() -> Vec<String> {
    ["europe", "americas", "asia-pacific"]
        .map(String::from)
        .to_vec()
}

fn params() -> DpParams {
    DpParams {
        count_epsilon: 0.7,
        count_sensitivity: 2,
        count_properties: vec!["x_victim_count".to_owned()],
        time_bucket_secs: 3_600,
        category_epsilon: 1.3,
        member_sector: Some("health".to_owned()),
        member_region: Some("europe".to_owned()),
        sectors: sectors(),
        regions: regions(),
    }
}

fn sighting(count: i64) -> StixObject {
    StixObject::try_from(json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
        "created": "2016-04-06T20:08:31.123Z",
        "modified": "2016-04-06T21:08:31.000Z",
        "first_seen": "2015-12-21T19:59:59.999Z",
        "last_seen": "2015-12-21T20:00:00.001Z",
        "count": count,
        "x_victim_count": 12,
        "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "x_shoal_sector": "spoofed, must be replaced"
    }))
    .unwrap()
}

fn observed(number: i64) -> StixObject {
    StixObject::try_from(json!({
        "type": "observed-data",
        "spec_version": "2.1",
        "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
        "created": "2016-04-06T19:58:16.000Z",
        "modified": "2016-04-06T19:58:16.000Z",
        "first_observed": "2015-12-21T19:00:00Z",
        "last_observed": "2015-12-21T19:30:00Z",
        "number_observed": number,
        "object_refs": ["ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8"]
    }))
    .unwrap()
}

fn entry<'a>(receipt: &'a PrivacyReceipt, path: &str) -> &'a ReceiptEntry {
    receipt
        .entries
        .iter()
        .find(|e| e.path == path)
        .unwrap_or_else(|| panic!("no receipt entry for {path}"))
}

/// The discrete Laplace map of OpenDP, built independently of the crate.
fn laplace_epsilon(sensitivity: u32, count_epsilon: f64) -> (f64, f64) {
    let scale = f64::from(sensitivity) / count_epsilon;
    let m = make_laplace(
        AtomDomain::<i64>::default(),
        AbsoluteDistance::<i64>::default(),
        scale,
        None,
    )
    .unwrap();
    (scale, m.map(&i64::from(sensitivity)).unwrap())
}

/// OpenDP randomized response over the real category names.
fn rr_epsilon(categories: &[String], epsilon: f64) -> f64 {
    let set: HashSet<String> = categories.iter().cloned().collect();
    let m = make_randomized_response(set, rr_probability(epsilon, categories.len())).unwrap();
    m.map(&1).unwrap()
}

#[test]
fn count_epsilon_is_the_opendp_privacy_map() {
    let params = DpParams {
        member_sector: None,
        member_region: None,
        count_properties: vec![],
        ..params()
    };
    let obj = observed(40);
    let p = plan(&obj, &params).unwrap();
    let (scale, expected) = laplace_epsilon(2, 0.7);
    assert_eq!(p.epsilon, expected);
    assert!((expected - 0.7).abs() < 1e-12, "{expected}");

    let (out, receipt) = release(obj, &p, &params).unwrap();
    assert_eq!(receipt.epsilon, expected);
    let e = entry(&receipt, "number_observed");
    assert_eq!(e.mechanism, "discrete_laplace");
    assert_eq!(e.epsilon, expected);
    assert_eq!(e.scale, Some(scale));
    assert_eq!(e.sensitivity, Some(2));
    assert_eq!(e.clamped_min, Some(1), "number_observed must stay >= 1");
    assert_eq!(e.clamped_max, Some(999_999_999));
    assert!(out.json()["number_observed"].as_i64().unwrap() >= 1);
    assert_eq!(count_scale(2, 0.7).unwrap(), scale);
}

#[test]
fn composed_epsilon_of_count_sector_region_is_the_opendp_composition() {
    let params = DpParams {
        count_properties: vec![],
        ..params()
    };
    let obj = sighting(1000);
    let p = plan(&obj, &params).unwrap();

    let (_, count) = laplace_epsilon(2, 0.7);
    let sector = rr_epsilon(&sectors(), 1.3);
    let region = rr_epsilon(&regions(), 1.3);
    assert!((sector - 1.3).abs() < 1e-12 && (region - 1.3).abs() < 1e-12);
    // MaxDivergence composition: the maps added up, rounded towards +∞.
    let composed = 0.0f64
        .inf_add(&count)
        .unwrap()
        .inf_add(&sector)
        .unwrap()
        .inf_add(&region)
        .unwrap();
    assert_eq!(p.epsilon, composed);
    assert!((p.epsilon - (0.7 + 1.3 + 1.3)).abs() < 1e-9);
    assert!(p.epsilon >= count + sector + region);

    let (out, receipt) = release(obj, &p, &params).unwrap();
    assert_eq!(receipt.epsilon, composed);
    assert_eq!(entry(&receipt, "count").epsilon, count);
    let s = entry(&receipt, "x_shoal_sector");
    assert_eq!(s.mechanism, "randomized_response");
    assert_eq!(s.epsilon, sector);
    assert_eq!(s.categories.as_deref(), Some(&sectors()[..]));
    assert_eq!(entry(&receipt, "x_shoal_region").epsilon, region);
    let released_sector = out.json()["x_shoal_sector"].as_str().unwrap();
    assert!(sectors().iter().any(|c| c == released_sector));
    let released_region = out.json()["x_shoal_region"].as_str().unwrap();
    assert!(regions().iter().any(|c| c == released_region));
}

#[test]
fn configured_victim_counts_are_privatized_too() {
    let params = params();
    let obj = sighting(1000);
    let p = plan(&obj, &params).unwrap();
    let (scale, count) = laplace_epsilon(2, 0.7);
    let expected = [
        count,
        count,
        rr_epsilon(&sectors(), 1.3),
        rr_epsilon(&regions(), 1.3),
    ]
    .iter()
    .try_fold(0.0f64, |acc, e| acc.inf_add(e))
    .unwrap();
    assert_eq!(p.epsilon, expected);
    let (out, receipt) = release(obj, &p, &params).unwrap();
    let e = entry(&receipt, "x_victim_count");
    assert_eq!((e.scale, e.clamped_min), (Some(scale), Some(0)));
    assert!(out.json()["x_victim_count"].as_i64().unwrap() >= 0);
}

#[test]
fn nothing_to_randomize_costs_nothing_but_times_are_coarsened() {
    let obj = StixObject::try_from(json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2016-04-06T20:03:48.000Z",
        "modified": "2016-04-06T20:59:48.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.1']",
        "pattern_type": "stix",
        "valid_from": "2016-01-01T00:00:00Z"
    }))
    .unwrap();
    let params = params();
    let p = plan(&obj, &params).unwrap();
    assert_eq!(p.epsilon, 0.0);
    let (out, receipt) = release(obj, &p, &params).unwrap();
    assert_eq!(receipt.epsilon, 0.0);
    assert_eq!(out.json()["created"], "2016-04-06T20:00:00.000Z");
    assert_eq!(out.json()["modified"], "2016-04-06T20:00:00.000Z");
    assert_eq!(out.json()["valid_from"], "2016-01-01T00:00:00Z");
    assert!(
        out.json().get("x_shoal_sector").is_none(),
        "sector only on sightings"
    );
    let e = entry(&receipt, "modified");
    assert_eq!(
        (e.mechanism.as_str(), e.epsilon, e.bucket_secs),
        ("time_bucket", 0.0, Some(3_600))
    );
}

#[test]
fn times_are_coarsened_valid_and_ordered() {
    let params = params();
    let obj = sighting(10);
    let p = plan(&obj, &params).unwrap();
    let (out, receipt) = release(obj, &p, &params).unwrap();
    let map = out.json();
    assert_eq!(map["first_seen"], "2015-12-21T19:00:00.000Z");
    assert_eq!(map["last_seen"], "2015-12-21T20:00:00.000Z");
    assert_eq!(map["created"], "2016-04-06T20:00:00.000Z");
    assert_eq!(map["modified"], "2016-04-06T21:00:00.000Z");
    for path in ["first_seen", "last_seen", "created", "modified"] {
        assert_eq!(entry(&receipt, path).bucket_secs, Some(3_600));
    }
    assert!(map["x_shoal_sector"] != "spoofed, must be replaced");
    validate_object(out.clone().into_value(), 0).unwrap();

    let day = DpParams {
        time_bucket_secs: 86_400,
        ..params.clone()
    };
    let obj = observed(3);
    let p = plan(&obj, &day).unwrap();
    let (out, _) = release(obj, &p, &day).unwrap();
    assert_eq!(out.json()["first_observed"], "2015-12-21T00:00:00.000Z");
    assert_eq!(out.json()["last_observed"], "2015-12-21T00:00:00.000Z");
    validate_object(out.into_value(), 0).unwrap();
}

fn timestamp_text(unix: i64, millis: u32) -> String {
    let whole = format_unix(unix).unwrap();
    whole.replace(".000Z", &format!(".{millis:03}Z"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any valid pair of times stays valid STIX and ordered under any bucket.
    #[test]
    fn coarsening_keeps_stix_valid_and_ordered(
        a in 0i64..4_000_000_000,
        gap in 0i64..200_000,
        ma in 0u32..1000,
        mb in 0u32..1000,
        bucket in prop::sample::select(vec![1u64, 7, 60, 900, 3_600, 86_400, 604_800]),
    ) {
        let (first, last) = (timestamp_text(a, ma), timestamp_text(a + gap, mb));
        let (first, last) = if Timestamp::parse(&first).unwrap() <= Timestamp::parse(&last).unwrap() {
            (first, last)
        } else {
            (last, first)
        };
        let value = json!({
            "type": "sighting",
            "spec_version": "2.1",
            "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
            "created": first,
            "modified": last,
            "first_seen": first,
            "last_seen": last,
            "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
        });
        let obj = StixObject::try_from(value).unwrap();
        let params = DpParams { time_bucket_secs: bucket, member_sector: None, member_region: None, ..params() };
        let p = plan(&obj, &params).unwrap();
        prop_assert_eq!(p.epsilon, 0.0);
        let (out, _) = release(obj, &p, &params).unwrap();
        let out = validate_object(out.into_value(), 0).unwrap();
        let get = |name: &str| Timestamp::parse(out.json()[name].as_str().unwrap()).unwrap();
        prop_assert!(get("last_seen") >= get("first_seen"));
        prop_assert!(get("modified") >= get("created"));
        for name in ["created", "modified", "first_seen", "last_seen"] {
            let t = get(name);
            prop_assert_eq!(t.precision(), 3);
            prop_assert_eq!(t.unix_seconds().rem_euclid(bucket as i64), 0);
            prop_assert!(t.as_str().ends_with(".000Z"));
        }
        prop_assert!(get("first_seen") <= Timestamp::parse(&first).unwrap());
        prop_assert_eq!(coarsen(&first, bucket).unwrap(), out.json()["first_seen"].as_str().unwrap());
    }
}

#[test]
fn receipt_round_trips_canonically() {
    let params = params();
    let obj = sighting(1000);
    let p = plan(&obj, &params).unwrap();
    let (_, receipt) = release(obj, &p, &params).unwrap();
    assert_eq!(receipt.version, RECEIPT_VERSION);
    assert!(receipt.privacy_unit.contains("internal host or event"));
    let bytes = receipt.to_bytes().unwrap();
    assert_eq!(PrivacyReceipt::from_bytes(&bytes).unwrap(), receipt);
    // Canonical: re-encoding the decoded receipt gives the same bytes, keys sorted.
    assert_eq!(
        PrivacyReceipt::from_bytes(&bytes)
            .unwrap()
            .to_bytes()
            .unwrap(),
        bytes
    );
    let ext = receipt.to_extension().unwrap();
    assert_eq!(ext.kind, ExtensionKind::PRIVACY_RECEIPT);
    assert_eq!(ext.data, bytes);
    assert_eq!(PrivacyReceipt::from_extension(&ext).unwrap(), receipt);
    let other = Extension {
        kind: ExtensionKind::CREDIBILITY,
        data: bytes.clone(),
    };
    assert!(PrivacyReceipt::from_extension(&other).is_err());
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("{\"entries\":["), "{text}");
    assert!(!text.contains("null"), "absent options are omitted: {text}");
}

#[test]
fn receipt_decoding_is_bounded_and_strict() {
    let ok = PrivacyReceipt {
        version: RECEIPT_VERSION,
        privacy_unit: "u".into(),
        epsilon: 1.5,
        entries: vec![],
    };
    let good = ok.to_bytes().unwrap();
    assert_eq!(PrivacyReceipt::from_bytes(&good).unwrap(), ok);
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{\"version\":2,\"privacy_unit\":\"u\",\"epsilon\":1,\"entries\":[]}".to_vec(),
        b"{\"version\":1,\"privacy_unit\":\"u\",\"epsilon\":-1,\"entries\":[]}".to_vec(),
        b"{\"version\":1,\"privacy_unit\":\"u\",\"epsilon\":1,\"entries\":[],\"x\":1}".to_vec(),
        b"{\"version\":1,\"version\":1,\"privacy_unit\":\"u\",\"epsilon\":1,\"entries\":[]}"
            .to_vec(),
        b"{\"version\":1,\"privacy_unit\":\"u\",\"epsilon\":1,\"entries\":[{\"path\":\"c\",\"mechanism\":\"m\",\"epsilon\":1,\"scale\":0}]}".to_vec(),
        b"{\"version\":1,\"privacy_unit\":\"u\",\"epsilon\":1,\"entries\":[[[[[]]]]]}".to_vec(),
        b"{\"version\":1,\"privacy_unit\":\"u\",\"epsilon\":1e999,\"entries\":[]}".to_vec(),
        // Integers a canonical (RFC 8785) receipt could not write back exactly.
        b"{\"version\":1,\"privacy_unit\":\"u\",\"epsilon\":1,\"entries\":[{\"path\":\"t\",\"mechanism\":\"time_bucket\",\"epsilon\":0,\"bucket_secs\":460999999990000009}]}".to_vec(),
        b"{\"version\":1,\"privacy_unit\":\"u\",\"epsilon\":1,\"entries\":[{\"path\":\"c\",\"mechanism\":\"m\",\"epsilon\":1,\"clamped_min\":-9007199254740993}]}".to_vec(),
        vec![b'['; 100_000],
        vec![b' '; MAX_RECEIPT_BYTES + 1],
        vec![0xff, 0xfe, 0x00],
    ];
    for bad in cases {
        assert!(
            matches!(PrivacyReceipt::from_bytes(&bad), Err(DpError::Receipt(_))),
            "{:?}",
            String::from_utf8_lossy(&bad[..bad.len().min(80)])
        );
    }
    let nan = PrivacyReceipt {
        epsilon: f64::NAN,
        ..ok
    };
    assert!(nan.to_bytes().is_err());
}

proptest! {
    #[test]
    fn receipt_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = PrivacyReceipt::from_bytes(&bytes);
    }
}

#[test]
fn release_refuses_a_plan_for_another_object_or_parameters() {
    let params = params();
    let p = plan(&sighting(5), &params).unwrap();
    assert!(matches!(
        release(observed(5), &p, &params),
        Err(DpError::PlanMismatch)
    ));
    let stronger = DpParams {
        count_epsilon: 0.1,
        ..params.clone()
    };
    assert!(matches!(
        release(sighting(5), &p, &stronger),
        Err(DpError::PlanMismatch)
    ));
    // Same object, same parameters: fine (the true count does not change the plan).
    release(sighting(6), &p, &params).unwrap();
}

#[test]
fn bad_parameters_and_properties_are_refused() {
    let obj = sighting(5);
    let bad = |params: DpParams| match plan(&obj, &params) {
        Err(DpError::BadParams(_)) => {}
        other => panic!("expected BadParams, got {other:?} for {params:?}"),
    };
    bad(DpParams {
        count_epsilon: 0.0,
        ..params()
    });
    bad(DpParams {
        count_epsilon: -1.0,
        ..params()
    });
    bad(DpParams {
        count_epsilon: f64::NAN,
        ..params()
    });
    bad(DpParams {
        count_epsilon: f64::INFINITY,
        ..params()
    });
    bad(DpParams {
        category_epsilon: 0.0,
        ..params()
    });
    bad(DpParams {
        count_sensitivity: 0,
        ..params()
    });
    bad(DpParams {
        time_bucket_secs: 0,
        ..params()
    });
    bad(DpParams {
        member_sector: Some("mining".into()),
        ..params()
    });
    bad(DpParams {
        sectors: vec!["health".into()],
        ..params()
    });
    bad(DpParams {
        sectors: vec!["health".into(), "health".into()],
        ..params()
    });
    bad(DpParams {
        regions: vec![],
        ..params()
    });

    let float_count = StixObject::try_from(json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
        "created": "2016-04-06T20:08:31.000Z",
        "modified": "2016-04-06T20:08:31.000Z",
        "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "x_victim_count": "twelve"
    }))
    .unwrap();
    match plan(&float_count, &params()) {
        Err(DpError::BadProperty { path, .. }) => assert_eq!(path, "x_victim_count"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn clamping_keeps_counts_in_stix_range() {
    // A tiny ε makes big noise: zero counts must stay >= 0 and number_observed >= 1.
    let params = DpParams {
        count_epsilon: 0.01,
        member_sector: None,
        member_region: None,
        ..params()
    };
    for _ in 0..50 {
        let obj = sighting(0);
        let p = plan(&obj, &params).unwrap();
        let (out, _) = release(obj, &p, &params).unwrap();
        let c = out.json()["count"].as_i64().unwrap();
        assert!((0..=999_999_999).contains(&c));
        assert!(out.json()["x_victim_count"].as_i64().unwrap() >= 0);

        let obj = observed(1);
        let p = plan(&obj, &params).unwrap();
        let (out, _) = release(obj, &p, &params).unwrap();
        assert!(out.json()["number_observed"].as_i64().unwrap() >= 1);
        let value: Value = out.into_value();
        validate_object(value, 0).unwrap();
    }
}

#[test]
fn release_with_charges_before_measuring_and_refusal_measures_nothing() {
    let obj = shoal_protocol::validate_object(
        serde_json::json!({
            "type": "sighting", "spec_version": "2.1",
            "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
            "created": "2026-03-01T10:17:23.456Z", "modified": "2026-03-01T10:17:23.456Z",
            "count": 1000,
            "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
        }),
        0,
    )
    .unwrap();
    let params = shoal_protocol::dp::DpParams {
        count_epsilon: 0.5,
        ..Default::default()
    };
    let expected = shoal_protocol::dp::plan(&obj, &params).unwrap();
    let mut charged = None;
    let (plan, released, receipt) = shoal_protocol::dp::release_with(obj.clone(), &params, |p| {
        charged = Some(p.epsilon);
        Ok::<(), ()>(())
    })
    .unwrap();
    assert_eq!(plan, expected);
    assert_eq!(charged, Some(expected.epsilon));
    assert_eq!(receipt.epsilon, expected.epsilon);
    assert!(released.json()["count"].is_i64());
    let refused = shoal_protocol::dp::release_with(obj, &params, |_| Err("no budget"));
    assert!(matches!(
        refused,
        Err(shoal_protocol::dp::ReleaseFailure::Refused("no budget"))
    ));
}
