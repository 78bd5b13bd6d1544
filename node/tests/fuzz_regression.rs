//! Fuzz corpus regression: every input of every fuzz target's committed corpus
//! (`fuzz/corpus/<target>/`) and every minimised crash reproducer
//! (`fuzz/regressions/<target>/`) runs through the same target function the libFuzzer
//! binaries run (`fuzz/src/lib.rs`, included below), so a decoder change that brings back
//! a fixed crash, or breaks a round-trip property on a known input, fails `cargo test`.
//! A missing or empty corpus directory fails too, so the test cannot silently check
//! nothing. See `fuzz/README.md` for running the fuzzers themselves.
//!
//! `cargo test -p shoal-node --test fuzz_regression -- --ignored generate_seed_corpus`
//! (re)writes the generated seed inputs (`seed-*` files) into the corpus directories.

#[path = "../../fuzz/src/lib.rs"]
mod targets;

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files directly in `dir`, sorted (an absent directory is empty).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Run `target` on every file; return the failures as "path: panic message".
fn replay(target: fn(&[u8]), files: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for file in files {
        let data = fs::read(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
        if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(|| target(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "non-string panic".to_owned());
            failures.push(format!("{}: {message}", file.display()));
        }
    }
    failures
}

#[test]
fn every_target_has_a_corpus_and_replays_it_cleanly() {
    let fuzz = fuzz_dir();
    let mut failures = Vec::new();
    let mut total = 0;
    for (name, target) in targets::TARGETS {
        let binary = fuzz.join("fuzz_targets").join(format!("{name}.rs"));
        assert!(
            binary.is_file(),
            "no fuzz target binary {}",
            binary.display()
        );
        let corpus = inputs(&fuzz.join("corpus").join(name));
        assert!(
            !corpus.is_empty(),
            "fuzz/corpus/{name}/ is missing or empty: every target needs a corpus"
        );
        let regressions = inputs(&fuzz.join("regressions").join(name));
        total += corpus.len() + regressions.len();
        failures.extend(replay(*target, &corpus));
        failures.extend(replay(*target, &regressions));
    }
    assert!(
        failures.is_empty(),
        "{} of {total} fuzz inputs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_regression_directory_belongs_to_a_target() {
    let Ok(entries) = fs::read_dir(fuzz_dir().join("regressions")) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("readable directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            assert!(
                targets::TARGETS.iter().any(|(t, _)| *t == name),
                "fuzz/regressions/{name}/ names no fuzz target"
            );
        }
    }
}

#[test]
fn generated_seeds_pass_their_targets() {
    for (name, data) in targets::seed_corpus() {
        let (_, target) = targets::TARGETS
            .iter()
            .find(|(t, _)| *t == name)
            .unwrap_or_else(|| panic!("seed for unknown target {name}"));
        target(&data);
    }
}

/// Write the generated seeds into `fuzz/corpus/<target>/seed-<n>` (run on demand).
#[test]
#[ignore = "writes files: run to regenerate the seed corpus"]
fn generate_seed_corpus() {
    let fuzz = fuzz_dir();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for (name, data) in targets::seed_corpus() {
        let n = counts.entry(name).or_default();
        let dir = fuzz.join("corpus").join(name);
        fs::create_dir_all(&dir).expect("create corpus directory");
        fs::write(dir.join(format!("seed-{n:02}")), data).expect("write seed");
        *n += 1;
    }
}
