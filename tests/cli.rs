//! The native `epim` command line, driven as a user would: files in, JSON out,
//! one clear line on stderr and a non-zero exit for bad input.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/cli.rs"]
mod support;

use support::{assert_clean_error, epim, json_out, temp_file};

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
    assert_eq!(v["group_patterns"], serde_json::json!([0, 1]));
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
    assert_clean_error(
        &epim(&["info", "/nonexistent/x.json"]),
        "cannot read /nonexistent/x.json: ",
    );
}

/// `epim ... | head`: a reader that closes the pipe before the output is written
/// is not an error (it was a panic with a backtrace).
#[test]
fn a_closed_stdout_pipe_is_not_a_panic() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_epim"))
        .args(["nets"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before the child writes.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
}
