//! Load on a running `sapa serve` as kiosks make it (issue #18), kept out of the product binary.
//!
//! `kiosk-load stream`: K WebSocket connections to `/v1/guidance/ws`, each sending 640x480 JPEG
//! frames at F frames a second for T seconds in an open loop (a frame is sent when it is due,
//! whether or not the previous one was answered), and per kiosk: frames sent, answered, dropped by
//! the server (listed in a later answer's `dropped`), error answers by code, answered frames a
//! second, and latency from a frame's send to its answer (p50, p95, p99, max).
//!
//! `kiosk-load identify`: enrols the committed portrait under an IIN (`POST /v1/references`), then
//! times N sequential `POST /v1/kiosk/identify` calls with a kiosk frame.
//!
//! Frames are made at run time from the committed portrait (fixtures/astronaut.png, public
//! domain), as server/tests/kiosk.rs makes them: `hint` is the portrait smiling with her teeth
//! showing (guidance answers `close_mouth` and stops before the face parser); `ready` is the
//! portrait nearer and lower in the frame with her smile painted over by closed lips, so guidance
//! finds nothing else to fix and runs the face parser (glasses, head covering). The tool asks
//! `POST /v1/guidance` about each frame first and prints the answer, so a frame that does not take
//! the intended path is seen.

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use clap::{Parser, Subcommand, ValueEnum};
use image::{Rgb, RgbImage};
use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tungstenite::Message;
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;

#[derive(Parser)]
#[command(about = "Kiosk load on a running `sapa serve`")]
struct Cli {
    /// The service, e.g. http://127.0.0.1:8080.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// API key (offered on the WebSocket as `sapa-key.<base64url>`, as the /kiosk page does);
    /// none when the service runs without keys on loopback.
    #[arg(long, env = "SAPA_LOAD_KEY")]
    key: Option<String>,
    /// The committed portrait the frames are made from.
    #[arg(long, default_value = "fixtures/astronaut.png")]
    portrait: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// K kiosks streaming frames over /v1/guidance/ws.
    Stream {
        #[arg(long, default_value_t = 4)]
        kiosks: usize,
        #[arg(long, default_value_t = 10.0)]
        fps: f64,
        #[arg(long, default_value_t = 30.0)]
        seconds: f64,
        #[arg(long, value_enum, default_value_t = Kind::Hint)]
        frame: Kind,
        /// Write the frame used as JPEG here (to look at it).
        #[arg(long)]
        save_frame: Option<PathBuf>,
        /// A second summary row leaves out the frames each kiosk sent in its first this many
        /// seconds: a stream's first ready frame needs the face parser, whose cost a person
        /// stepping up to the camera meets once, not at every frame.
        #[arg(long, default_value_t = 2.0)]
        settle: f64,
    },
    /// Sequential identifications after enrolling the portrait.
    Identify {
        /// A valid IIN (check digit) to enrol the portrait under.
        #[arg(long, default_value = "900101300017")]
        iin: String,
        #[arg(long, default_value_t = 10)]
        n: usize,
        #[arg(long, value_enum, default_value_t = Kind::Ready)]
        frame: Kind,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Kind {
    Hint,
    Ready,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let portrait = image::open(&cli.portrait)
        .with_context(|| format!("reading {} (run from the repository root)", cli.portrait.display()))?
        .to_rgb8();
    match cli.cmd {
        Cmd::Stream { kiosks, fps, seconds, frame, ref save_frame, settle } => {
            let jpeg = jpeg(&make_frame(&portrait, frame));
            if let Some(p) = save_frame {
                std::fs::write(p, &jpeg)?;
            }
            precheck(&cli, &jpeg, frame)?;
            stream(&cli, kiosks, fps, seconds, settle, jpeg)
        }
        Cmd::Identify { ref iin, n, frame } => identify(&cli, &portrait, iin, n, frame),
    }
}

fn make_frame(a: &RgbImage, kind: Kind) -> RgbImage {
    match kind {
        Kind::Hint => hint_frame(a),
        Kind::Ready => ready_frame(a),
    }
}

/// server/tests/kiosk.rs's frame: the portrait's head and shoulders (its top 360 rows, face
/// centred) scaled to fill the frame's height, the sides filled with its edge colour.
fn hint_frame(a: &RgbImage) -> RgbImage {
    let head = image::imageops::crop_imm(a, 76, 0, 360, 360).to_image();
    let scaled = image::imageops::resize(&head, 480, 480, image::imageops::FilterType::Triangle);
    let mut out = RgbImage::from_pixel(640, 480, *a.get_pixel(256, 2));
    image::imageops::replace(&mut out, &scaled, 80, 0);
    out
}

/// The portrait with her smile painted over (the mouth filled with cheek colour, soft-edged, and
/// closed lips drawn in), 250 px about her face scaled to 480, 40 px from the frame's top: nearer
/// than `hint_frame`, so the ICAO crop fills enough of the frame.
fn ready_frame(a: &RgbImage) -> RgbImage {
    let mut src = a.clone();
    let skin = *a.get_pixel(200, 150);
    let lip = *a.get_pixel(224, 152);
    // The mouth, in the portrait's own pixels: an ellipse about (225, 147) of radii 31 x 15,
    // filled with cheek colour inside, faded out to 1.3 times the radii. (A darker or thicker lip
    // line reads as an open mouth: the mouth check's measure sits near its threshold here.)
    let (cx, cy, rx, ry) = (225.0f32, 147.0f32, 31.0f32, 15.0f32);
    for y in 125..170u32 {
        for x in 188..262u32 {
            let d = (((x as f32 - cx) / rx).powi(2) + ((y as f32 - cy) / ry).powi(2)).sqrt();
            let w = ((1.3 - d) / 0.3).clamp(0.0, 1.0);
            let p = src.get_pixel_mut(x, y);
            for k in 0..3 {
                p[k] = (f32::from(p[k]) * (1.0 - w) + f32::from(skin[k]) * w).round() as u8;
            }
        }
    }
    // Closed lips: a flat ellipse over 206..242 x 142..151 and the line between them.
    let (lx, ly, lrx, lry) = (224.0f32, 146.5f32, 18.0f32, 4.5f32);
    for y in 142..=151u32 {
        for x in 206..=242u32 {
            if ((x as f32 - lx) / lrx).powi(2) + ((y as f32 - ly) / lry).powi(2) <= 1.0 {
                src.put_pixel(x, y, lip);
            }
        }
    }
    for y in 145..=146u32 {
        for x in 207..=241u32 {
            src.put_pixel(x, y, Rgb([150, 85, 85]));
        }
    }
    let part = image::imageops::crop_imm(&src, 232 - 125, 30, 250, 250).to_image();
    let scaled = image::imageops::resize(&part, 480, 480, image::imageops::FilterType::Triangle);
    let mut out = RgbImage::from_pixel(640, 480, *a.get_pixel(256, 2));
    image::imageops::replace(&mut out, &scaled, 80, 40);
    out
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(img).expect("JPEG");
    out
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

fn post(cli: &Cli, path: &str, content_type: &str, body: &[u8]) -> Result<(u16, serde_json::Value)> {
    let mut req = agent().post(format!("{}{path}", cli.url)).header("content-type", content_type);
    if let Some(k) = &cli.key {
        req = req.header("x-api-key", k);
    }
    let mut r = req.send(body)?;
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string()?;
    Ok((status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))))
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v["hints"]
        .as_array()
        .map(|a| a.iter().filter_map(|h| h["code"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// What guidance says about the frame, and whether that is the path asked for: `ready` must
/// reach the face parser (ready, or only the parser's own hints), `hint` must stop before it.
fn precheck(cli: &Cli, frame: &[u8], kind: Kind) -> Result<()> {
    let (status, v) = post(cli, "/v1/guidance?lang=en", "image/jpeg", frame)?;
    if status != 200 {
        bail!("POST /v1/guidance: {status} {v}");
    }
    let hints = codes(&v);
    let parser_only = hints.iter().all(|h| h == "remove_glasses" || h == "remove_headwear");
    println!("frame: {} bytes; POST /v1/guidance: ready={} hints={hints:?}", frame.len(), v["ready"]);
    match kind {
        Kind::Ready if !parser_only => eprintln!("warning: the ready frame does not reach the face parser"),
        Kind::Hint if parser_only => eprintln!("warning: the hint frame reaches the face parser"),
        _ => {}
    }
    Ok(())
}

#[derive(Default)]
struct KioskResult {
    sent: usize,
    answered: usize,
    ready: usize,
    dropped: usize,
    errors: BTreeMap<String, usize>,
    /// Send to answer, for answered frames.
    latencies: Vec<Duration>,
    /// The sequence numbers (from 1) of the answered frames, in the order of `latencies`, and of
    /// the dropped ones.
    answered_seqs: Vec<usize>,
    dropped_seqs: Vec<usize>,
    ready_seqs: Vec<usize>,
    /// Frames neither answered nor listed as dropped when the connection ended.
    unaccounted: usize,
    /// Largest delay of a send past its due time (the tool's own lag).
    max_send_lag: Duration,
    failure: Option<String>,
}

type Socket = tungstenite::WebSocket<MaybeTlsStream<TcpStream>>;

fn connect(cli: &Cli) -> Result<Socket> {
    let url = format!("{}/v1/guidance/ws?lang=en", cli.url).replacen("http", "ws", 1);
    let mut req = url.into_client_request()?;
    let mut protocols = "sapa.v1".to_string();
    if let Some(k) = &cli.key {
        protocols +=
            &format!(", sapa-key.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k.as_bytes()));
    }
    req.headers_mut().insert("sec-websocket-protocol", protocols.parse()?);
    let (socket, _) = tungstenite::connect(req)?;
    Ok(socket)
}

fn set_timeout(ws: &mut Socket, t: Duration) {
    if let MaybeTlsStream::Plain(s) = ws.get_mut() {
        let _ = s.set_read_timeout(Some(t.max(Duration::from_millis(1))));
    }
}

/// One kiosk: sends `n` frames at `fps` from `start`, reads answers in between, then waits up to
/// 5 s for the last answers.
fn kiosk(cli: &Cli, frame: &tungstenite::Bytes, fps: f64, n: usize, start: Instant) -> KioskResult {
    let mut r = KioskResult::default();
    let mut ws = match connect(cli) {
        Ok(ws) => ws,
        Err(e) => {
            r.failure = Some(format!("connect: {e}"));
            return r;
        }
    };
    let period = Duration::from_secs_f64(1.0 / fps);
    let mut sent_at: Vec<Instant> = Vec::with_capacity(n);
    let mut accounted = 0usize;
    let drain_until = start + period * n as u32 + Duration::from_secs(5);
    loop {
        let now = Instant::now();
        if sent_at.len() < n {
            let due = start + period * sent_at.len() as u32;
            if now >= due {
                r.max_send_lag = r.max_send_lag.max(now - due);
                if let Err(e) = ws.send(Message::Binary(frame.clone())) {
                    r.failure = Some(format!("send: {e}"));
                    break;
                }
                sent_at.push(Instant::now());
                continue;
            }
            set_timeout(&mut ws, due - now);
        } else {
            if accounted >= n || now >= drain_until {
                break;
            }
            set_timeout(&mut ws, drain_until - now);
        }
        match ws.read() {
            Ok(Message::Text(t)) => {
                let at = Instant::now();
                let v: serde_json::Value = match serde_json::from_str(&t) {
                    Ok(v) => v,
                    Err(e) => {
                        r.failure = Some(format!("answer not JSON: {e}"));
                        break;
                    }
                };
                let seq = v["seq"].as_u64().unwrap_or(0) as usize;
                let dropped = v["dropped"].as_array().map_or(0, Vec::len);
                r.dropped += dropped;
                let listed = v["dropped"].as_array().into_iter().flatten();
                r.dropped_seqs.extend(listed.filter_map(|d| d.as_u64()).map(|d| d as usize));
                accounted += dropped + 1;
                if let Some(code) = v["error"]["code"].as_str() {
                    *r.errors.entry(code.to_string()).or_default() += 1;
                } else {
                    r.answered += 1;
                    if v["ready"] == true {
                        r.ready += 1;
                        r.ready_seqs.push(seq);
                    }
                    if let Some(sent) = seq.checked_sub(1).and_then(|i| sent_at.get(i)) {
                        r.latencies.push(at - *sent);
                        r.answered_seqs.push(seq);
                    }
                }
            }
            Ok(Message::Close(c)) => {
                r.failure = Some(format!("closed by the server: {c:?}"));
                break;
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => {
                r.failure = Some(format!("read: {e}"));
                break;
            }
        }
    }
    r.sent = sent_at.len();
    r.unaccounted = r.sent.saturating_sub(accounted);
    let _ = ws.close(None);
    let _ = ws.flush();
    r
}

impl KioskResult {
    /// The same kiosk's figures for the frames it sent after its first `first` (errors left out:
    /// the row that counts them is the whole run's).
    fn after(&self, first: usize) -> KioskResult {
        let kept: Vec<(usize, Duration)> = self
            .answered_seqs
            .iter()
            .copied()
            .zip(self.latencies.iter().copied())
            .filter(|(s, _)| *s > first)
            .collect();
        KioskResult {
            sent: self.sent.saturating_sub(first),
            answered: kept.len(),
            ready: self.ready_seqs.iter().filter(|&&s| s > first).count(),
            dropped: self.dropped_seqs.iter().filter(|&&s| s > first).count(),
            latencies: kept.iter().map(|(_, l)| *l).collect(),
            answered_seqs: kept.iter().map(|(s, _)| *s).collect(),
            ..KioskResult::default()
        }
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}

/// What /metrics says about the face parser on streams: `sapa_guidance_parser_total` by label,
/// and the verdict age histogram's buckets (upper bound, cumulative count), sum and count.
#[derive(Default)]
struct ParserMetrics {
    ran: f64,
    reused: f64,
    age_buckets: Vec<(f64, f64)>,
    age_sum: f64,
    age_count: f64,
}

fn parser_metrics(cli: &Cli) -> ParserMetrics {
    let text = agent()
        .get(format!("{}/metrics", cli.url))
        .call()
        .ok()
        .and_then(|mut r| r.body_mut().read_to_string().ok())
        .unwrap_or_default();
    let value = |l: &str| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let read = |prefix: &str, label: &str| {
        text.lines().find(|l| l.starts_with(prefix) && l.contains(label)).map_or(0.0, value)
    };
    let age = "sapa_guidance_verdict_age_seconds";
    let age_buckets = text
        .lines()
        .filter(|l| l.starts_with(&format!("{age}_bucket")))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let le = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
            Some((le, value(l)))
        })
        .collect();
    ParserMetrics {
        ran: read("sapa_guidance_parser_total", "parser=\"ran\""),
        reused: read("sapa_guidance_parser_total", "parser=\"reused\""),
        age_buckets,
        age_sum: read(&format!("{age}_sum"), ""),
        age_count: read(&format!("{age}_count"), ""),
    }
}

/// The verdict ages of the frames answered between two readings: mean, and the bucket bound
/// under which 95% of them fall.
fn age_summary(before: &ParserMetrics, after: &ParserMetrics) -> String {
    let n = after.age_count - before.age_count;
    if n <= 0.0 {
        return "no verdict reused".into();
    }
    let mean = (after.age_sum - before.age_sum) / n;
    let p95 = after
        .age_buckets
        .iter()
        .map(|&(le, c)| (le, c - before.age_buckets.iter().find(|b| b.0 == le).map_or(0.0, |b| b.1)))
        .find(|&(_, c)| c >= 0.95 * n)
        .map_or(f64::INFINITY, |(le, _)| le);
    format!("verdict age when reused: mean {mean:.2} s, 95% within {p95} s")
}

fn stream(cli: &Cli, kiosks: usize, fps: f64, seconds: f64, settle: f64, frame: Vec<u8>) -> Result<()> {
    let n = (fps * seconds).round() as usize;
    let frame = tungstenite::Bytes::from(frame);
    let before = parser_metrics(cli);
    // Connections open together, a little apart so their frames are not sent in lockstep.
    let start = Instant::now() + Duration::from_millis(500);
    let results: Vec<KioskResult> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..kiosks)
            .map(|k| {
                let frame = frame.clone();
                let offset = Duration::from_secs_f64(k as f64 / kiosks as f64 / fps);
                s.spawn(move || kiosk(cli, &frame, fps, n, start + offset))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a kiosk thread")).collect()
    });
    let after = parser_metrics(cli);
    println!(
        "{kiosks} kiosks x {fps} frames/s for {seconds} s (open loop); face parser ran {} times, reused {} times; {}",
        after.ran - before.ran,
        after.reused - before.reused,
        age_summary(&before, &after),
    );
    println!(
        "| kiosk | sent | answered | ready | dropped | errors | unaccounted | answered/s | p50 ms | p95 ms | p99 ms | max ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut all = Vec::new();
    let mut total = KioskResult::default();
    for (k, r) in results.iter().enumerate() {
        let mut l = r.latencies.clone();
        l.sort();
        row(&format!("{}", k + 1), r, &l, seconds);
        all.extend_from_slice(&l);
        total.sent += r.sent;
        total.answered += r.answered;
        total.ready += r.ready;
        total.dropped += r.dropped;
        total.unaccounted += r.unaccounted;
        for (c, v) in &r.errors {
            *total.errors.entry(c.clone()).or_default() += v;
        }
        total.max_send_lag = total.max_send_lag.max(r.max_send_lag);
        if let Some(f) = &r.failure {
            eprintln!("kiosk {}: {f}", k + 1);
        }
    }
    all.sort();
    row("all", &total, &all, seconds);
    let first = (fps * settle).round() as usize;
    if first > 0 && first < n {
        let mut steady = KioskResult::default();
        for r in &results {
            let a = r.after(first);
            steady.sent += a.sent;
            steady.answered += a.answered;
            steady.ready += a.ready;
            steady.dropped += a.dropped;
            steady.latencies.extend(a.latencies);
        }
        steady.latencies.sort();
        let l = std::mem::take(&mut steady.latencies);
        row(&format!("all, after the first {settle} s"), &steady, &l, seconds - settle);
    }
    println!("largest send lag behind schedule: {:.1} ms", total.max_send_lag.as_secs_f64() * 1e3);
    Ok(())
}

fn row(label: &str, r: &KioskResult, sorted: &[Duration], seconds: f64) {
    let errors = if r.errors.is_empty() {
        "0".to_string()
    } else {
        r.errors.iter().map(|(c, n)| format!("{n} {c}")).collect::<Vec<_>>().join(", ")
    };
    println!(
        "| {label} | {} | {} | {} | {} | {errors} | {} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} |",
        r.sent,
        r.answered,
        r.ready,
        r.dropped,
        r.unaccounted,
        r.answered as f64 / seconds,
        pct(sorted, 50.0),
        pct(sorted, 95.0),
        pct(sorted, 99.0),
        sorted.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1e3),
    );
}

const BOUNDARY: &str = "sapa-load-boundary-7c1f";

/// A form part: its name, a file's bytes and content type (or none), and a text value.
type Part<'a> = (&'a str, Option<(&'a [u8], &'a str)>, &'a str);

fn multipart(parts: &[Part]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, file, text) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some((bytes, mime)) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n")
                        .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{text}").as_bytes(),
            ),
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

fn identify(cli: &Cli, portrait: &RgbImage, iin: &str, n: usize, kind: Kind) -> Result<()> {
    let mut png = std::io::Cursor::new(Vec::new());
    portrait.write_to(&mut png, image::ImageFormat::Png)?;
    let (ct, body) = multipart(&[("iin", None, iin), ("photo", Some((png.get_ref(), "image/png")), "")]);
    let (status, v) = post(cli, "/v1/references", &ct, &body)?;
    if status != 201 {
        bail!("enrolment: {status} {v}");
    }
    let frame = jpeg(&make_frame(portrait, kind));
    let (ct, body) = multipart(&[("photo", Some((&frame, "image/jpeg")), ""), ("iin", None, iin)]);
    let mut times = Vec::new();
    for i in 0..n {
        let t = Instant::now();
        let (status, v) = post(cli, "/v1/kiosk/identify?lang=en", &ct, &body)?;
        let took = t.elapsed();
        println!(
            "{}: {status} {:.1} ms outcome={} pad={} score={}",
            i + 1,
            took.as_secs_f64() * 1e3,
            v["outcome"],
            v["pad"]["decision"],
            v["score"]
        );
        times.push(took);
    }
    times.sort();
    println!(
        "identify x{n} sequential ({} bytes JPEG): p50 {:.1} ms, max {:.1} ms, min {:.1} ms",
        frame.len(),
        pct(&times, 50.0),
        pct(&times, 100.0),
        times[0].as_secs_f64() * 1e3
    );
    Ok(())
}
