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

/// The README's first command prints exactly what the README shows.
#[test]
fn the_readme_sample_output_is_what_the_main_command_prints() {
    let out = Command::new(env!("CARGO_BIN_EXE_sapa"))
        .args(["validate", "fixtures/astronaut.png"])
        .current_dir(root())
        .output()
        .expect("run sapa");
    let printed = String::from_utf8(out.stdout).expect("utf-8");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let after =
        readme.split("The first prints a rejection with its reasons").nth(1).expect("the sample's intro");
    let block = after.split("```").nth(1).expect("the sample block").trim_start_matches('\n');
    assert_eq!(printed.trim_end(), block.trim_end(), "README sample is stale; it should read:\n{printed}");
}

/// `--version` names the runtime `--backend auto` picks: ONNX Runtime from `ORT_DYLIB_PATH` when
/// set to a real library, and tract, with how to get the faster path, when nothing can be found.
#[test]
fn version_says_which_runtime_runs_the_models() {
    let run = |ort: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sapa"));
        cmd.arg("--version").current_dir(root());
        match ort {
            Some(lib) => cmd.env("ORT_DYLIB_PATH", lib),
            None => cmd.env_remove("ORT_DYLIB_PATH"),
        };
        String::from_utf8(cmd.output().expect("run sapa").stdout).unwrap()
    };
    let plain = run(None);
    assert!(plain.starts_with("sapa ") && plain.contains("\nbackend: "), "{plain}");
    if let Ok(lib) = std::env::var("ORT_DYLIB_PATH") {
        let with = run(Some(&lib));
        assert!(with.contains("backend: onnxruntime"), "{with}");
    }
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
        // JFIF APP0: "JFIF\0", version (2 bytes), units 1 (dots per inch), 300 x 300.
        let bytes = std::fs::read(&crop).unwrap();
        let at = bytes.windows(5).position(|w| w == b"JFIF\0").expect("a JFIF header");
        assert_eq!(&bytes[at + 7..at + 12], &[1, 1, 44, 1, 44], "300 dpi in the JFIF header");
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

#[path = "../../tests/support.rs"]
#[allow(dead_code)]
mod support;

/// A temp dir with the four kinds of file a batch meets: a real portrait, a synthetic one (the
/// portrait on a plain light canvas, as a JPEG), a truncated JPEG and a text file.
fn batch_inputs(name: &str) -> PathBuf {
    let dir = temp(name).join("photos");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join("fixtures/astronaut.png"), dir.join("astronaut.png")).unwrap();
    let portrait = image::open(root().join("fixtures/astronaut.png")).unwrap().to_rgb8();
    let mut canvas = image::RgbImage::from_pixel(900, 1200, image::Rgb([232, 232, 228]));
    let face = image::imageops::resize(&portrait, 600, 600, image::imageops::FilterType::Triangle);
    image::imageops::overlay(&mut canvas, &face, 150, 300);
    canvas.save(dir.join("synthetic.jpg")).unwrap();
    let jpeg = std::fs::read(dir.join("synthetic.jpg")).unwrap();
    std::fs::write(dir.join("corrupt.jpg"), &jpeg[..jpeg.len() / 3]).unwrap();
    // Named as a photo but not one: an error line. A text file beside the photos is skipped.
    std::fs::write(dir.join("notes.jpg"), "not a photo\n").unwrap();
    std::fs::write(dir.join("labels.csv"), "file,label\n").unwrap();
    dir
}

/// Runs `sapa batch` with `args`; returns the exit code and stdout (the summary).
fn batch(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sapa"))
        .arg("batch")
        .args(args)
        .current_dir(root())
        .output()
        .expect("run sapa");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sapa batch failed: {stderr}");
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).expect("utf-8"))
}

fn jsonl(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

fn by_file(lines: &[serde_json::Value], name: &str) -> serde_json::Value {
    let hits: Vec<_> = lines.iter().filter(|l| l["file"].as_str().unwrap().ends_with(name)).collect();
    assert_eq!(hits.len(), 1, "{name} appears {} times", hits.len());
    hits[0].clone()
}

#[test]
fn batch_writes_one_line_per_file_with_templates_and_error_codes() {
    let photos = batch_inputs("batch");
    let dir = photos.parent().unwrap();
    let (out, csv, html) = (dir.join("r.jsonl"), dir.join("r.csv"), dir.join("r.html"));
    let (code, summary) = batch(&[
        "--input",
        photos.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--report",
        html.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let lines = jsonl(&out);
    assert_eq!(lines.len(), 4, "{lines:?}");
    let astronaut = by_file(&lines, "astronaut.png");
    assert_eq!(astronaut["decision"], "reject");
    assert!(astronaut["checks"].as_array().unwrap().len() > 10);
    let template = astronaut["template"].as_str().expect("a template");
    let t = sapa_engine::Template::from_base64(template).expect("the engine's template bytes");
    assert_eq!(t.model_id(), "rec_faceplugin_512");
    let synthetic = by_file(&lines, "synthetic.jpg");
    assert!(synthetic["decision"].is_string(), "{synthetic}");
    assert_eq!(by_file(&lines, "corrupt.jpg")["error"]["code"], "corrupt_image");
    assert_eq!(by_file(&lines, "notes.jpg")["error"]["code"], "unsupported_format");
    assert!(summary.contains("batch: 4 photos:"), "{summary}");
    assert!(summary.contains("skipped: 1 files that are not images"), "{summary}");
    assert!(summary.contains("2 error"), "{summary}");
    assert!(summary.contains("busy_background"), "{summary}");
    assert!(summary.contains("corrupt_image 1"), "{summary}");
    assert!(summary.contains("photos/s"), "{summary}");

    let table = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows[0], "file,decision,failed,error");
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().any(|r| r.contains("corrupt.jpg,error,,corrupt_image")), "{table}");
    assert!(rows.iter().any(|r| r.contains("astronaut.png,reject,") && r.contains("busy_background")));

    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg"), "a chart of reasons");
    assert!(page.contains("data:image/jpeg;base64,"), "thumbnails of the rejected photos");
    // The rejected portrait is shown with its overlay, its failed checks labelled.
    assert!(astronaut["overlay"]["crop"].is_array(), "{}", astronaut["overlay"]);
    assert!(page.contains(r#"<image data-kind="photo""#) && page.contains(r#"data-kind="crop""#));
    assert!(page.contains(r#"data-code="low_res""#), "a labelled region");
    assert!(page.contains("astronaut.png") && page.contains("busy_background"));
    assert!(!page.contains("<script") && !page.contains("src=\"http"), "self-contained");
    // Long file names wrap where they must; words are not broken mid-word.
    assert!(!page.contains("break-all") && page.contains("overflow-wrap:anywhere"), "wrapping");
}

#[test]
fn batch_resume_after_a_kill_finishes_without_redoing_done_photos() {
    let photos = batch_inputs("batch-resume");
    let out = photos.parent().unwrap().join("r.jsonl");
    let args = ["--input", photos.to_str().unwrap(), "--out", out.to_str().unwrap()];
    batch(&args);
    let full = std::fs::read_to_string(&out).unwrap();
    let kept: Vec<&str> = full.lines().take(2).collect();
    // A kill while the third line was being written: two whole lines, then half of one.
    let third = full.lines().nth(2).unwrap();
    let torn = format!("{}\n{}\n{}", kept[0], kept[1], &third[..third.len() / 2]);
    std::fs::write(&out, &torn).unwrap();

    let (_, summary) = batch(&[&args[..], &["--resume"]].concat());
    let after = std::fs::read_to_string(&out).unwrap();
    assert!(after.starts_with(&format!("{}\n{}\n", kept[0], kept[1])), "finished lines are untouched");
    assert!(after.ends_with('\n'));
    let lines = jsonl(&out);
    assert_eq!(lines.len(), 4);
    for name in ["astronaut.png", "synthetic.jpg", "corrupt.jpg", "notes.jpg"] {
        by_file(&lines, name);
    }
    assert!(summary.contains("resumed: 2 photos"), "{summary}");
    assert!(summary.contains("throughput: 2 photos"), "only the two unfinished photos ran: {summary}");

    // Resuming a finished run does nothing.
    let (_, summary) = batch(&[&args[..], &["--resume"]].concat());
    assert!(summary.contains("throughput: 0 photos"), "{summary}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), after);
}

#[test]
fn batch_reads_a_manifest_and_the_shared_faces() {
    let Some(faces) = support::faces_dir() else { return };
    let dir = temp("batch-faces");
    // The manifest names files relative to itself, with a quoted column before `file`.
    let names: Vec<String> = std::fs::read_dir(&faces)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jpg") || n.ends_with(".png"))
        .collect();
    let manifest = dir.join("manifest.csv");
    let mut text = String::from("note,file\n");
    for n in &names {
        text += &format!("\"a, b\",{}\n", faces.join(n).display());
    }
    std::fs::write(&manifest, text).unwrap();
    let out = dir.join("faces.jsonl");
    let (_, summary) = batch(&["--input", manifest.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let lines = jsonl(&out);
    assert_eq!(lines.len(), names.len());
    let templated = lines.iter().filter(|l| l["template"].is_string()).count();
    assert_eq!(templated, names.len(), "every shared photo has a face: {summary}");
    assert!(lines.iter().any(|l| l["decision"] == "accept"), "{summary}");
}
