//! The `sapa` binary end to end: real files in, one JSON line per file out.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sapa(args: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_sapa")).args(args).current_dir(root()).output().expect("run sapa");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    (out.status.code().unwrap_or(-1), lines)
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sapa-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn analyze_prints_one_line_per_file_and_survives_a_bad_one() {
    let dir = temp("analyze");
    let bad = dir.join("notes.jpg");
    std::fs::write(&bad, "not a photo").unwrap();
    let (code, lines) =
        sapa(&["analyze", "--json", "fixtures/astronaut.png", bad.to_str().unwrap(), "missing.jpg"]);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["faces"].as_array().unwrap().len(), 1);
    assert!(lines[0]["faces"][0]["pose"]["yaw"].is_number());
    assert_eq!(lines[1]["error"]["code"], "unsupported_format");
    assert_eq!(lines[2]["error"]["code"], "unreadable_file");
}

#[test]
fn validate_reports_reasons_in_kazakh_and_writes_the_crop() {
    let dir = temp("validate");
    let crop = dir.join("crop.jpg");
    let (code, lines) = sapa(&[
        "validate",
        "--json",
        "--lang",
        "kk",
        "--crop",
        crop.to_str().unwrap(),
        "fixtures/astronaut.png",
    ]);
    assert_eq!(code, 0);
    let r = &lines[0];
    assert_eq!(r["decision"], "reject");
    let failed: Vec<&str> = r["failed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(failed.contains(&"busy_background"), "{failed:?}");
    let first = r["checks"].as_array().unwrap().iter().find(|c| c["passed"] == false).unwrap();
    assert!(
        first["message"].as_str().unwrap().contains('ә') || first["message"].as_str().unwrap().contains('ы')
    );
    if r["crop"].is_object() {
        let img = image::open(&crop).expect("crop written");
        assert_eq!((img.width(), img.height()), (413, 531));
    }
}

#[test]
fn enroll_verify_by_iin_and_delete() {
    let dir = temp("iin");
    let store = dir.join("refs.sqlite");
    let store = store.to_str().unwrap();
    // A valid IIN: born 1990-01-01, century code 3, serial 0001, check digit 7.
    let iin = "900101300017";
    let (code, lines) = sapa(&["enroll", "--store", store, iin, "fixtures/astronaut.png"]);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["enrolled"], true);
    let (_, lines) = sapa(&["verify", "--json", "--store", store, "--iin", iin, "fixtures/astronaut.png"]);
    assert_eq!(lines[0]["decision"], "match", "{lines:?}");
    assert_eq!(lines[0]["file_b"], "iin:****", "the IIN never appears in output");
    let (_, lines) =
        sapa(&["verify", "--json", "--store", store, "--iin", "900101300018", "fixtures/astronaut.png"]);
    assert_eq!(lines[0]["error"]["code"], "invalid_iin");
    let (_, lines) = sapa(&["references", "--store", store, "delete", iin]);
    assert_eq!(lines[0]["deleted"], 1);
    let (_, lines) = sapa(&["verify", "--json", "--store", store, "--iin", iin, "fixtures/astronaut.png"]);
    assert_eq!(lines[0]["error"]["code"], "reference_not_found");
}
