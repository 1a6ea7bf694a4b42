//! Presentation-attack detection end to end, on the real models and both backends: the committed
//! public-domain portrait reads live, prints and replays generated from it read as more likely
//! attacks, both backends agree on every PAD model, and `sapa liveness` reports a file it cannot
//! judge with an error line and goes on.

use image::RgbImage;
use sapa_engine::pad::{PadDecision, PadDetector, PadModel};
use sapa_engine::runtime::{Backend, BackendOptions};
use sapa_engine::validate::Profile;
use sapa_eval::pad::attacks::AttackType;
use sapa_tests::{analyzer, backends, models_dir, workspace_root};

fn astronaut() -> RgbImage {
    image::open(workspace_root().join("fixtures").join("astronaut.png")).expect("astronaut.png").to_rgb8()
}

#[test]
fn the_astronaut_reads_live_and_its_generated_print_and_replay_score_higher() {
    let operating = Profile::built_in("kiosk").unwrap().pad.expect("the kiosk profile has [pad]");
    let img = astronaut();
    for kind in backends() {
        let a = analyzer(kind);
        let pad = PadDetector::load(&models_dir(), a.backend(), &PadModel::KIOSK).unwrap();
        let face = a.detect(&img).unwrap()[0];
        let live = pad.assess(&img, &face.bbox).unwrap();
        println!("{kind} astronaut: {live:?}");
        assert_eq!(live.decide(&operating), PadDecision::Live, "{kind}: {live:?}");
        assert!((0.0..=1.0).contains(&live.score));
        for attack in AttackType::ALL {
            let fake = attack.simulate(&img, 1);
            let f = a.detect(&fake).unwrap().first().copied().expect("the face survives the attack");
            let l = pad.assess(&fake, &f.bbox).unwrap();
            println!("{kind} astronaut {}: {l:?}", attack.name());
            assert!(
                l.score > live.score + 0.2,
                "{kind} {}: {} vs live {}",
                attack.name(),
                l.score,
                live.score
            );
        }
    }
}

#[test]
fn both_backends_agree_on_every_pad_model() {
    let img = astronaut();
    let face = analyzer(backends()[0]).detect(&img).unwrap()[0];
    let lives: Vec<Vec<f32>> = backends()
        .into_iter()
        .map(|kind| {
            let backend = Backend::new(BackendOptions::of(kind)).unwrap();
            let pad = PadDetector::load(&models_dir(), &backend, &PadModel::ALL).unwrap();
            pad.assess(&img, &face.bbox).unwrap().models.iter().map(|m| m.live).collect()
        })
        .collect();
    for other in &lives[1..] {
        for (a, b) in lives[0].iter().zip(other) {
            assert!((a - b).abs() < 1e-3, "{:?} vs {other:?}", lives[0]);
        }
    }
}

#[test]
fn the_cli_reports_an_error_line_for_what_it_cannot_judge_and_goes_on() {
    let dir = std::env::temp_dir().join(format!("sapa-pad-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("notes.txt");
    std::fs::write(&text, b"not an image at all").unwrap();
    let blank = dir.join("blank.png");
    RgbImage::from_pixel(480, 640, image::Rgb([200, 200, 200])).save(&blank).unwrap();
    let files =
        vec![text, dir.join("missing.jpg"), blank, workspace_root().join("fixtures").join("astronaut.png")];
    let a = analyzer(backends()[0]);
    let pad = PadDetector::load(&models_dir(), a.backend(), &PadModel::KIOSK).unwrap();
    let operating = Profile::built_in("kiosk").unwrap().pad.unwrap();
    let mut out = Vec::new();
    sapa_server::cli::liveness::write_lines(&files, true, &a, &pad, &operating, &mut out).unwrap();
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    let codes: Vec<&str> = lines[..3].iter().map(|l| l["error"]["code"].as_str().unwrap_or("")).collect();
    assert_eq!(codes, ["unsupported_format", "unreadable_file", "no_face"], "{lines:?}");
    assert!(lines[3]["file"].as_str().unwrap().ends_with("astronaut.png"));
    assert_eq!(lines[3]["decision"], "live", "{:?}", lines[3]);
    let score = lines[3]["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score));
    std::fs::remove_dir_all(&dir).ok();
}
