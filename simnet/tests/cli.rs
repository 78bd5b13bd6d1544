//! The `shoal-sim` binary: writes its outputs, refuses a bad scenario with status 2.

use std::process::Command;

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_shoal-sim"))
}

#[test]
fn run_writes_the_report_and_the_scores() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let scenario = dir.path().join("s.toml");
    let written = std::fs::write(
        &scenario,
        "name = \"cli\"\n[population]\nmembers = 20\nsybils = 4\n[publishing]\nitems_per_member = 5\n",
    );
    assert!(written.is_ok());
    let out = dir.path().join("out");
    let status = sim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .args(["--seed", "9"])
        .output();
    let Ok(output) = status else {
        panic!("could not run shoal-sim")
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("ROC AUC"), "{stdout}");
    let report = std::fs::read_to_string(out.join("report.json")).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&report).unwrap_or_default();
    assert_eq!(json["seed"], 9);
    assert!(json["auc"]["credibility"].is_f64(), "{report}");
    assert!(json["wall_time"]["total_ms"].is_f64(), "{report}");
    let csv = std::fs::read_to_string(out.join("scores.csv")).unwrap_or_default();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,publisher,colluder,truth,credibility,baseline,refuters,publisher_trust,evidence_score")
    );
    assert_eq!(lines.count(), 20 * 5);
}

#[test]
fn a_bad_scenario_exits_2_naming_the_key() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let scenario = dir.path().join("bad.toml");
    assert!(std::fs::write(&scenario, "[behaviour]\nanchor_sampel = 0.1\n").is_ok());
    let Ok(output) = sim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
    else {
        panic!("could not run shoal-sim")
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("anchor_sampel"), "{stderr}");
    assert!(!dir.path().join("out").exists());
    let Ok(missing) = sim()
        .args(["run", "/nonexistent/shoal-sim.toml", "--out"])
        .arg(dir.path())
        .output()
    else {
        panic!("could not run shoal-sim")
    };
    assert_eq!(missing.status.code(), Some(1));
}
