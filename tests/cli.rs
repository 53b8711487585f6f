//! The native `epim` command line, driven as a user would: files in, JSON out,
//! one clear line on stderr and a non-zero exit for bad input.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the built `epim` binary with `args`.
pub fn epim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_epim"))
        .args(args)
        .output()
        .expect("the epim binary runs")
}

/// Writes `contents` to a fresh temporary file and returns its path.
pub fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("epim-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

/// Parses stdout as JSON, failing the test with stderr when it is not.
pub fn json_out(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "epim failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Asserts a failure with exactly one stderr line containing `needle` and no panic.
pub fn assert_clean_error(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success");
    assert!(
        stderr.contains(needle),
        "stderr {stderr:?} lacks {needle:?}"
    );
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "stderr: {stderr}");
}

#[test]
fn info_prints_counts_as_json() {
    let f = temp_file(
        "info.json",
        r#"{"layer":{"c_out":8,"c_in":4,"k_h":3,"k_w":3,"stride":1,"padding":1},
            "epitome":{"e_out":4,"e_in":2,"e_h":4,"e_w":4},
            "offsets":[[0,0,0],[1,1,1]]}"#,
    );
    let v = json_out(&epim(&["info", f.to_str().unwrap()]));
    assert_eq!(v["weight_count"], 288);
    assert_eq!(v["param_count"], 128);
    assert_eq!(v["compression"], 2.25);
    assert_eq!(v["groups"], 2);
    assert_eq!(v["offsets"], serde_json::json!([[0, 0, 0], [1, 1, 1]]));
}

#[test]
fn info_rejects_bad_spec_with_one_line() {
    let f = temp_file(
        "bad.json",
        r#"{"layer":{"c_out":8,"c_in":4,"k_h":3,"k_w":3},
            "epitome":{"e_out":4,"e_in":2,"e_h":4,"e_w":4},
            "offsets":[[0,0,0],[2,0,0]]}"#,
    );
    assert_clean_error(
        &epim(&["info", f.to_str().unwrap()]),
        "invalid offsets[1][0]: must be < e_in = 2, got 2",
    );
    let f = temp_file("garbage.json", "{not json");
    assert_clean_error(&epim(&["info", f.to_str().unwrap()]), "cannot parse");
    assert_clean_error(&epim(&["info", "/nonexistent/x.json"]), "cannot parse");
}
