//! Recognition: templates, scores and thresholds on real photos, plus the measurement that
//! calibrates the alignment templates.

use image::{Rgb, RgbImage};
use sapa_engine::align::{ARCFACE_112, DLIB_150, five_points};
use sapa_engine::runtime::{Backend, BackendOptions};
use sapa_engine::{Analyzer, AnalyzerConfig};
use sapa_tests::{cases_dir, models_dir};
use std::path::Path;

fn analyzer() -> Analyzer {
    let backend = Backend::new(BackendOptions::default()).expect("backend");
    Analyzer::load(&models_dir(), backend, AnalyzerConfig::default()).expect("analyzer")
}

fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// A reference case's input tensor back as pixels: `value = (pixel - offset) / scale`.
fn case_image(model: &str, nchw: bool, size: u32, offset: f32, scale: f32) -> Option<RgbImage> {
    let data = read_f32(&cases_dir()?.join(model).join("in_input.f32"));
    let plane = (size * size) as usize;
    Some(RgbImage::from_fn(size, size, |x, y| {
        let i = (y * size + x) as usize;
        Rgb(std::array::from_fn(|c| {
            let v = if nchw { data[c * plane + i] } else { data[i * 3 + c] };
            (v * scale + offset).round().clamp(0.0, 255.0) as u8
        }))
    }))
}

/// Where Sapa's own detector and mesh put the five alignment points on a chip, in chip
/// coordinates. The chip is pasted into a grey canvas 3x its size: the detector needs context.
fn five_points_on_chip(analyzer: &Analyzer, chip: &RgbImage) -> [(f32, f32); 5] {
    let pad = chip.width();
    let mut canvas = RgbImage::from_pixel(3 * pad, 3 * pad, Rgb([128, 128, 128]));
    image::imageops::replace(&mut canvas, chip, pad as i64, pad as i64);
    let mut png = Vec::new();
    canvas.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).expect("png");
    let analysis = analyzer.analyze_bytes(&png).expect("analysis");
    let lm = analysis.main_face().and_then(|f| f.landmarks.as_ref()).expect("a face on the reference chip");
    five_points(&lm.mesh, &lm.measures).map(|p| (p.x - pad as f32, p.y - pad as f32))
}

/// Prints each point's offset from the template; returns the worst eye offset and the worst
/// offset of the other three points.
fn offsets(name: &str, measured: &[(f32, f32); 5], template: &[(f32, f32); 5]) -> (f32, f32) {
    let d: Vec<f32> = measured
        .iter()
        .zip(template)
        .map(|(m, t)| {
            let d = ((m.0 - t.0).powi(2) + (m.1 - t.1).powi(2)).sqrt();
            println!(
                "{name}: measured ({:7.2}, {:7.2})  template ({:7.2}, {:7.2})  off {d:.2} px",
                m.0, m.1, t.0, t.1
            );
            d
        })
        .collect();
    (d[0].max(d[1]), d[2].max(d[3]).max(d[4]))
}

/// The alignment templates agree with the reference chips the models were checked on: Sapa's
/// landmarks on each chip land within a few pixels of the template points.
#[test]
fn alignment_templates_match_the_reference_chips() {
    if cases_dir().is_none() {
        return;
    }
    let a = analyzer();
    let dlib = case_image("rec_dlib_resnet_v1_150", true, 150, 0.0, 1.0).unwrap();
    // Eyes fix scale and rotation and must agree closely. Nose and mouth points differ by the
    // reference subject's broad smile and by landmark definition (see `DLIB_150`'s docs).
    let (eyes, rest) = offsets("dlib_150", &five_points_on_chip(&a, &dlib), &DLIB_150);
    assert!(eyes < 1.5 && rest < 11.0, "DLIB_150 off the reference chip: eyes {eyes:.1}, rest {rest:.1} px");
    for (name, chip) in [
        ("faceplugin", case_image("rec_faceplugin_512", true, 112, 127.0, 128.0).unwrap()),
        ("mobilefacenet", case_image("rec_mobilefacenet_192", false, 112, 127.5, 128.0).unwrap()),
    ] {
        let (eyes, rest) = offsets(name, &five_points_on_chip(&a, &chip), &ARCFACE_112);
        assert!(
            eyes < 4.0 && rest < 11.0,
            "ARCFACE_112 off the {name} chip: eyes {eyes:.1}, rest {rest:.1} px"
        );
    }
}

mod experiments {
    //! How the alignment templates and colour orders were chosen: every variant is scored on the
    //! curated pairs. Run with `cargo test -p sapa-tests --test recognition -- --ignored --nocapture`.

    use super::*;
    use rayon::prelude::*;
    use sapa_engine::Recognizer;
    use sapa_engine::align::{FivePoints, align};
    use sapa_engine::recognition::calibration::{eer, fnmr_at_fmr};
    use sapa_engine::recognition::{ColourOrder, RecognitionModel, Template};

    fn d_prime(g: &[f32], i: &[f32]) -> f64 {
        let stats = |v: &[f32]| {
            let m = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / v.len() as f64;
            (m, var)
        };
        let ((mg, vg), (mi, vi)) = (stats(g), stats(i));
        (mg - mi) / ((vg + vi) / 2.0).sqrt()
    }

    #[test]
    #[ignore = "measurement, prints a table; slow"]
    fn alignment_and_colour_variants() {
        let Some(faces) = sapa_tests::faces_dir() else { return };
        let pairs = super::read_pairs(&faces.join("pairs.csv"));
        let mut files: Vec<String> = pairs.iter().flat_map(|p| [p.0.clone(), p.1.clone()]).collect();
        files.sort();
        files.dedup();
        let a = analyzer();
        let photos: Vec<(String, RgbImage, FivePoints)> = files
            .par_iter()
            .map(|f| {
                let bytes = std::fs::read(faces.join(f)).unwrap();
                let d = a.decode(&bytes).unwrap();
                let an = a.analyze(&d.rgb, d.source).unwrap();
                let lm = an.main_face().unwrap().landmarks.clone().unwrap();
                (f.clone(), d.rgb, five_points(&lm.mesh, &lm.measures))
            })
            .collect();
        let backend = Backend::new(BackendOptions::default()).unwrap();
        // Measured: Sapa's landmarks on the reference chips (see the test above).
        let dlib_mean_face = [(47.6, 46.9), (100.4, 46.9), (74.0, 76.6), (50.4, 103.0), (97.6, 103.0)];
        let dlib_measured = [(47.1, 47.7), (100.7, 46.9), (74.4, 82.4), (48.4, 95.4), (102.7, 94.9)];
        let dlib_hybrid = [(47.6, 46.9), (100.4, 46.9), (74.2, 82.4), (50.4, 103.0), (97.6, 103.0)];
        let dlib_old = [(51.5, 61.0), (98.5, 61.0), (75.0, 90.0), (55.0, 111.0), (95.0, 111.0)];
        let arc_measured = [(38.1, 54.65), (74.1, 54.66), (56.43, 78.0), (38.91, 86.04), (75.56, 85.59)];
        let mut arc_nose_low = ARCFACE_112;
        arc_nose_low[2].1 += 5.0;
        type Variant = (&'static str, RecognitionModel, [(f32, f32); 5], u32, ColourOrder);
        let mut variants: Vec<Variant> = vec![
            ("dlib mean face", RecognitionModel::DlibResnet150, dlib_mean_face, 150, ColourOrder::Rgb),
            ("dlib measured", RecognitionModel::DlibResnet150, dlib_measured, 150, ColourOrder::Rgb),
            ("dlib hybrid", RecognitionModel::DlibResnet150, dlib_hybrid, 150, ColourOrder::Rgb),
            ("dlib old guess", RecognitionModel::DlibResnet150, dlib_old, 150, ColourOrder::Rgb),
            ("dlib mean face BGR", RecognitionModel::DlibResnet150, dlib_mean_face, 150, ColourOrder::Bgr),
        ];
        for m in [RecognitionModel::Faceplugin512, RecognitionModel::MobileFaceNet192] {
            for order in [ColourOrder::Rgb, ColourOrder::Bgr] {
                variants.push(("arcface standard", m, ARCFACE_112, 112, order));
                variants.push(("arcface measured", m, arc_measured, 112, order));
                variants.push(("arcface nose +5", m, arc_nose_low, 112, order));
            }
        }
        for (name, model, template, size, order) in variants {
            let r = Recognizer::load(&models_dir(), model, &backend).unwrap().with_colour_order(order);
            let templates: std::collections::HashMap<&str, Template> = photos
                .par_iter()
                .map(|(f, img, pts)| {
                    let chip = align(img, pts, &template, size).unwrap();
                    let raw = r.embed_chip(&chip).unwrap();
                    (f.as_str(), Template::new(model.id(), "x", 1.0, &raw).unwrap())
                })
                .collect();
            let (mut g, mut i) = (Vec::new(), Vec::new());
            for (a, b, same) in &pairs {
                let s = templates[a.as_str()].similarity(&templates[b.as_str()]).unwrap();
                if *same { g.push(s) } else { i.push(s) }
            }
            let e = eer(&g, &i).unwrap().eer;
            let (f1, _) = fnmr_at_fmr(&g, &i, 0.0).unwrap();
            let gap = g.iter().copied().fold(f32::MAX, f32::min) - i.iter().copied().fold(f32::MIN, f32::max);
            println!(
                "{:22} {:30} {order:?}: EER {:.2}%  FNMR@FMR0 {:.2}%  d' {:.2}  gap {gap:.4}",
                model.id(),
                name,
                e * 100.0,
                f1 * 100.0,
                d_prime(&g, &i)
            );
        }
    }
}

/// `(file_a, file_b, same)` rows of a pairs file, read by the product's pair reader.
fn read_pairs(path: &Path) -> Vec<(String, String, bool)> {
    let root = sapa_server::cli::pairs::root_for(path, None);
    sapa_server::cli::pairs::read(path, &root)
        .expect("a pairs file")
        .into_iter()
        .map(|p| (p.a, p.b, p.same == Some(true)))
        .collect()
}

mod verification {
    //! Templates and decisions on real photos with the default model and its configured threshold.

    use super::*;
    use rayon::prelude::*;
    use sapa_engine::recognition::calibration::eer;
    use sapa_engine::recognition::{RecognitionConfig, RecognitionError, RecognitionModel, TemplateDefect};
    use sapa_engine::{Recognizer, Template};
    use std::collections::HashMap;
    use std::sync::OnceLock;

    struct Kit {
        analyzer: Analyzer,
        default: Recognizer,
        other: Recognizer,
        config: RecognitionConfig,
    }

    fn kit() -> &'static Kit {
        static KIT: OnceLock<Kit> = OnceLock::new();
        KIT.get_or_init(|| {
            let backend = Backend::new(BackendOptions::default()).unwrap();
            let config = RecognitionConfig::load(&models_dir()).unwrap();
            let other = if config.default_model == RecognitionModel::MobileFaceNet192 {
                RecognitionModel::DlibResnet150
            } else {
                RecognitionModel::MobileFaceNet192
            };
            Kit {
                analyzer: analyzer(),
                default: Recognizer::load(&models_dir(), config.default_model, &backend).unwrap(),
                other: Recognizer::load(&models_dir(), other, &backend).unwrap(),
                config,
            }
        })
    }

    fn template_with(r: &Recognizer, bytes: &[u8]) -> Result<Template, RecognitionError> {
        let k = kit();
        let d = k.analyzer.decode(bytes)?;
        let a = k.analyzer.analyze(&d.rgb, d.source.clone())?;
        r.template_of_main_face(&d.rgb, &a)
    }

    fn template(path: &Path) -> Template {
        let bytes = std::fs::read(path).unwrap();
        template_with(&kit().default, &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn threshold() -> f32 {
        let c = &kit().config;
        c.operating_point(c.default_model, c.default_fmr).unwrap().score
    }

    /// The first genuine and the first impostor pair of pairs.csv.
    fn first_pairs(faces: &Path) -> ((String, String), (String, String)) {
        let pairs = read_pairs(&faces.join("pairs.csv"));
        let pick = |same: bool| {
            let p = pairs.iter().find(|p| p.2 == same).unwrap();
            (p.0.clone(), p.1.clone())
        };
        (pick(true), pick(false))
    }

    #[test]
    fn a_real_template_round_trips_and_damage_is_refused() {
        let Some(faces) = sapa_tests::faces_dir() else { return };
        let t = template(&faces.join("dev_0002.jpg"));
        assert_eq!(t.model_id(), kit().config.default_model.id());
        assert!((0.0..=1.0).contains(&t.quality()) && t.quality() > 0.5, "quality {}", t.quality());
        let norm: f32 = t.embedding().iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        let bytes = t.to_bytes();
        assert_eq!(&bytes[..4], b"SAPT");
        assert_eq!(Template::from_bytes(&bytes).unwrap(), t);
        assert_eq!(Template::from_base64(&t.to_base64()).unwrap(), t);
        let mut damaged = bytes.clone();
        damaged[40] ^= 0x10;
        assert_eq!(Template::from_bytes(&damaged), Err(TemplateDefect::Checksum));
        assert!(matches!(Template::from_bytes(&bytes[..bytes.len() - 3]), Err(TemplateDefect::Length(_))));
        let mut foreign = bytes;
        foreign[..4].copy_from_slice(b"JFIF");
        assert_eq!(Template::from_bytes(&foreign), Err(TemplateDefect::BadMagic));
    }

    #[test]
    fn templates_of_different_models_do_not_compare() {
        let Some(faces) = sapa_tests::faces_dir() else { return };
        let bytes = std::fs::read(faces.join("dev_0002.jpg")).unwrap();
        let a = template_with(&kit().default, &bytes).unwrap();
        let b = template_with(&kit().other, &bytes).unwrap();
        let err = a.similarity(&b).unwrap_err();
        assert_eq!(err.code(), "template_model_mismatch", "{err}");
    }

    #[test]
    fn a_photo_without_a_face_has_no_template() {
        let blank = RgbImage::from_pixel(320, 400, Rgb([200, 200, 200]));
        let mut png = Vec::new();
        blank.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let err = template_with(&kit().default, &png).unwrap_err();
        assert_eq!(err.code(), "no_face");
    }

    #[test]
    fn decisions_on_self_genuine_and_impostor_pairs() {
        let Some(faces) = sapa_tests::faces_dir() else { return };
        let t = threshold();
        let ((ga, gb), (ia, ib)) = first_pairs(&faces);
        let me = template(&faces.join(&ga));
        let self_score = me.similarity(&me).unwrap();
        assert!(self_score > t, "self {self_score} vs threshold {t}");
        let genuine = me.similarity(&template(&faces.join(&gb))).unwrap();
        assert!(genuine >= t, "genuine {ga}/{gb}: {genuine} below {t}");
        let impostor = template(&faces.join(&ia)).similarity(&template(&faces.join(&ib))).unwrap();
        assert!(impostor < t, "impostor {ia}/{ib}: {impostor} reaches {t}");
        println!("threshold {t:.4}: self {self_score:.4}, genuine {genuine:.4}, impostor {impostor:.4}");
    }

    /// The whole curated pair list on the default model: every photo of a genuine pair yields a
    /// template, and the EER stays within a loose bound so a regression fails here.
    #[test]
    fn the_default_model_separates_the_shared_pairs() {
        let Some(faces) = sapa_tests::faces_dir() else { return };
        let pairs = read_pairs(&faces.join("pairs.csv"));
        let mut files: Vec<&String> = pairs.iter().flat_map(|p| [&p.0, &p.1]).collect();
        files.sort();
        files.dedup();
        let templates: HashMap<&String, Result<Template, RecognitionError>> = files
            .par_iter()
            .map(|f| (*f, template_with(&kit().default, &std::fs::read(faces.join(f)).unwrap())))
            .collect();
        let (mut g, mut i, mut lost) = (Vec::new(), Vec::new(), Vec::new());
        for (a, b, same) in &pairs {
            match (&templates[a], &templates[b]) {
                (Ok(x), Ok(y)) => {
                    let s = x.similarity(y).unwrap();
                    if *same { g.push(s) } else { i.push(s) }
                }
                _ if *same => lost.push(format!("{a},{b}")),
                _ => {}
            }
        }
        let e = eer(&g, &i).unwrap();
        let t = threshold();
        let rates = sapa_engine::recognition::calibration::rates_at(&g, &i, t);
        println!(
            "{}: EER {:.2}% on {} genuine / {} impostor pairs; at threshold {t:.4}: FMR {:.2}%, FNMR {:.2}%",
            kit().config.default_model,
            e.eer * 100.0,
            g.len(),
            i.len(),
            rates.fmr * 100.0,
            rates.fnmr * 100.0
        );
        assert!(lost.is_empty(), "genuine pairs without a template: {lost:?}");
        assert!(e.eer <= 0.05, "EER {:.2}% over 5%", e.eer * 100.0);
        assert!(rates.fnmr <= 0.05 && rates.fmr <= 0.01, "{rates:?}");
    }

    #[test]
    fn the_configured_thresholds_rise_as_the_fmr_falls() {
        let c = RecognitionConfig::embedded().unwrap();
        assert_eq!(c.default_model, RecognitionModel::Faceplugin512);
        for m in RecognitionModel::ALL {
            let cal = c.calibration(m).unwrap();
            assert_eq!(cal.template_version, m.version(), "{m}: thresholds of another pre-processing");
            let mut pts: Vec<_> = cal.thresholds.iter().collect();
            pts.sort_by(|a, b| b.fmr.total_cmp(&a.fmr));
            assert!(pts.windows(2).all(|w| w[0].score <= w[1].score), "{m}");
        }
    }
}
