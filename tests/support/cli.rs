//! Helpers shared by the tests that drive the `epim` binary as a user would.
//! Each test binary includes this file with `#[path = "support/cli.rs"] mod support;`
//! and uses a subset of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the built `epim` binary with `args`.
pub fn epim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_epim"))
        .args(args)
        .output()
        .expect("the epim binary runs")
}

/// Writes `contents` to `name` in a temporary folder of this test binary and process.
pub fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "epim-{}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

/// Parses stdout as JSON, failing the test with stderr when the command failed.
pub fn json_out(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "epim failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// A failure with exactly one stderr line containing `needle`, and no panic.
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
