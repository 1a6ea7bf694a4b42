// The kiosk identification page: the citizen enters their IIN, then the camera preview, camera
// frames over the guidance WebSocket with the live hints, and an automatic capture: once guidance
// has said "ready" for HOLD answers in a row, those frames go to /v1/capture, which keeps the best;
// then the chosen frame and the IIN go to /v1/kiosk/identify (once per capture), and the page shows
// the two results in the kiosk's order: first the identity, then (once it is confirmed) the document
// photo, its crop and what to fix. Every message about an answer is rendered from its stable codes
// with the service's catalogue (/kiosk/messages.json, kk, ru and en, loaded once), so a language
// switch re-renders the screen and never asks the service again. If the
// person has been in view for `patience` seconds without getting ready (a hint they cannot
// follow), the last frames are captured anyway, so the kiosk shows what is still wrong instead of
// waiting for ever. Nothing is stored: the operator's key lives in this tab's sessionStorage, the
// frames and the IIN only in memory (the IIN goes in a POST body, never in a URL or a log) until
// the next person.
"use strict";

const T = {
  en: {
    title: "Sapa kiosk", key_label: "Operator: API key", key_save: "Use this key", key_set: "Key set for this tab.",
    key_forget: "Forget", intro: "Look at the camera. The photo is taken automatically.",
    starting: "Starting the camera…", connecting: "Connecting…", look: "Follow the instructions below.",
    ready: "Hold still…", capturing: "Taking the photo…", captured: "The photo meets the requirements",
    not_captured: "The photo does not meet the requirements", crop_caption: "Photo for the document",
    identity_title: "1. Identity check", document_title: "2. Document photo",
    others: "Also not met",
    fix: "What to fix", nothing_to_fix: "Nothing to fix.", again: "Take another photo",
    no_camera: "The camera cannot be opened. Please ask the operator for help.",
    ws_refused: "The connection to Sapa was refused. Please ask the operator to check the key.",
    connection_lost: "The connection to Sapa was lost. Please try again.",
    privacy: "Camera frames are sent to Sapa only to be checked and are never stored.",
    iin_label: "Your IIN (12 digits)", iin_go: "Continue", iin_digits: "Enter the 12 digits of your IIN.",
    iin_invalid: "The IIN is not valid. Check its 12 digits.", identifying: "Checking who you are…",
    identified: "Identity confirmed", not_identified: "Your identity could not be confirmed. Please ask a member of staff.",
    attack_suspected: "The check could not be completed. Please ask a member of staff.",
    retake: "Please take another photo.", next: "Next person",
  },
  ru: {
    title: "Киоск Sapa", key_label: "Оператор: API-ключ", key_save: "Использовать ключ", key_set: "Ключ задан для этой вкладки.",
    key_forget: "Забыть", intro: "Смотрите в камеру. Снимок будет сделан автоматически.",
    starting: "Включаем камеру…", connecting: "Подключаемся…", look: "Следуйте подсказкам ниже.",
    ready: "Не двигайтесь…", capturing: "Делаем снимок…", captured: "Снимок соответствует требованиям",
    not_captured: "Снимок не соответствует требованиям", crop_caption: "Фото для документа",
    identity_title: "1. Подтверждение личности", document_title: "2. Фото на документ",
    others: "Также не выполнено",
    fix: "Что исправить", nothing_to_fix: "Исправлять нечего.", again: "Сделать другой снимок",
    no_camera: "Не удаётся включить камеру. Обратитесь к оператору.",
    ws_refused: "Sapa отклонила подключение. Попросите оператора проверить ключ.",
    connection_lost: "Связь с Sapa прервалась. Попробуйте ещё раз.",
    privacy: "Кадры с камеры отправляются в Sapa только для проверки и нигде не сохраняются.",
    iin_label: "Ваш ИИН (12 цифр)", iin_go: "Продолжить", iin_digits: "Введите 12 цифр вашего ИИН.",
    iin_invalid: "ИИН указан неверно. Проверьте 12 цифр.", identifying: "Проверяем вашу личность…",
    identified: "Личность подтверждена", not_identified: "Не удалось подтвердить вашу личность. Обратитесь к сотруднику.",
    attack_suspected: "Проверку не удалось завершить. Обратитесь к сотруднику.",
    retake: "Пожалуйста, сделайте другой снимок.", next: "Следующий посетитель",
  },
  kk: {
    title: "Sapa киоскі", key_label: "Оператор: API кілті", key_save: "Осы кілтті қолдану", key_set: "Кілт осы қойындыға орнатылды.",
    key_forget: "Ұмыту", intro: "Камераға қараңыз. Сурет автоматты түрде түсіріледі.",
    starting: "Камера қосылуда…", connecting: "Қосылуда…", look: "Төмендегі нұсқауларды орындаңыз.",
    ready: "Қозғалмаңыз…", capturing: "Сурет түсірілуде…", captured: "Сурет талаптарға сай",
    not_captured: "Сурет талаптарға сай емес", crop_caption: "Құжатқа арналған фотосурет",
    identity_title: "1. Жеке басты растау", document_title: "2. Құжатқа арналған фотосурет",
    others: "Сондай-ақ орындалмады",
    fix: "Нені түзету керек", nothing_to_fix: "Түзететін ештеңе жоқ.", again: "Басқа сурет түсіру",
    no_camera: "Камераны қосу мүмкін емес. Операторға жүгініңіз.",
    ws_refused: "Sapa қосылудан бас тартты. Оператордан кілтті тексеруді сұраңыз.",
    connection_lost: "Sapa-мен байланыс үзілді. Қайталап көріңіз.",
    privacy: "Камера кадрлары Sapa-ға тек тексеру үшін жіберіледі және сақталмайды.",
    iin_label: "ЖСН-іңіз (12 сан)", iin_go: "Жалғастыру", iin_digits: "ЖСН-іңіздің 12 санын енгізіңіз.",
    iin_invalid: "ЖСН қате енгізілген. 12 санды тексеріңіз.", identifying: "Жеке басыңыз тексерілуде…",
    identified: "Жеке басыңыз расталды", not_identified: "Жеке басыңызды растау мүмкін болмады. Қызметкерге жүгініңіз.",
    attack_suspected: "Тексеруді аяқтау мүмкін болмады. Қызметкерге жүгініңіз.",
    retake: "Басқа сурет түсіріңіз.", next: "Келесі келуші",
  },
};

const KEY = "sapa.kiosk.key";
const LANG = "sapa.kiosk.lang";
/// Ready answers in a row before the capture.
const HOLD = 3;
/// Frames kept for the capture (the server's `[kiosk] max_capture_frames` is 8 by default).
const KEEP = 4;
/// At most this many frames a second go to guidance (the server serves `max_fps`, 10 by default).
const FPS = 8;
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
/// Seconds with a face in view before the page captures without a ready streak.
const PATIENCE = Math.min(120, Math.max(3, Number(params.get("patience")) || 20));

let lang = sessionStorage.getItem(LANG) || (navigator.language || "en").slice(0, 2);
if (!T[lang]) lang = "en";
let stream = null;      // the camera
let ws = null;          // the guidance socket
let seq = 0;            // frames sent on this socket (the server numbers them the same way)
let sent = new Map();   // seq -> JPEG blob, the last few
let readySeqs = [];     // the current ready streak
let faceSince = null;   // when a face was first seen in this session
let lastSend = 0;
let answered = 0;
let capturing = false;
let shown = null;       // the capture answer shown
let hints = [];         // the live hints shown ({code, message})
let iin = null;         // the citizen's IIN, in memory only, until the next person
let identity = null;    // the identification answer shown ({outcome, reasons}, {error} or {pending})
let iinError = null;    // the IIN form's message key
let M = null;           // the service's message catalogue (/kiosk/messages.json)
let problem = null;     // the error shown (see renderProblem)

function t(k) { return T[lang][k] || T.en[k] || k; }
/// A message of the service's catalogue for `code` in the page's language; the answer's own
/// message (in the language it was asked in) only if the catalogue has none.
function msg(section, code, fallback) {
  const e = M && M[section] && M[section][code];
  return (e && e[lang]) || fallback || code;
}
function setState(s) { document.body.dataset.state = s; }
function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
function status(k) { $("status").dataset.t = k; $("status").textContent = t(k); }

function applyLang() {
  document.documentElement.lang = lang;
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const b of document.querySelectorAll("#langs button")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  if (iinError) $("iin-error").textContent = t(iinError);
  renderProblem();
  showHints(hints);
  // The identity renders the capture's result too (which parts show depends on it).
  if (identity) renderIdentity(identity); else if (shown) renderResult(shown);
}

/// The IIN's own check: 12 digits, a century code, the check digit (the service checks again).
function iinProblem(s) {
  if (!/^[0-9]{12}$/.test(s)) return "iin_digits";
  const d = [...s].map(Number);
  if (d[6] < 1 || d[6] > 6) return "iin_invalid";
  const sum = (w) => w.reduce((acc, wi, i) => acc + d[i] * wi, 0) % 11;
  let check = sum([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  if (check === 10) check = sum([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
  return check === d[11] ? null : "iin_invalid";
}

/// The citizen's step: the IIN, before the camera.
function askIin() {
  iin = null;
  identity = null;
  shown = null;
  hints = [];
  iinError = null;
  $("iin").value = "";
  $("iin-error").hidden = true;
  $("live").hidden = true;
  $("result").hidden = true;
  problem = null;
  renderProblem();
  $("iin-box").hidden = false;
  setState("iin");
  $("iin").focus();
}

function key() { return sessionStorage.getItem(KEY); }

function showKeyState() {
  const has = key() !== null;
  $("key-form").hidden = has;
  $("key-state").hidden = !has;
}

/// The problem shown: the page's own ({k, detail}) or Sapa's refusal ({code, message}), rendered
/// in the page's language.
function renderProblem() {
  const el = $("error");
  if (!problem) { el.hidden = true; return; }
  el.textContent = problem.k
    ? t(problem.k) + (problem.detail ? " (" + problem.detail + ")" : "")
    : msg("errors", problem.code, problem.message) + (problem.code ? " (" + problem.code + ")" : "");
  el.hidden = false;
}

function showError(k, detail) {
  problem = { k, detail };
  renderProblem();
  setState("error");
}

/// The key as a WebSocket subprotocol token: unpadded base64url of its UTF-8 bytes.
function keyProtocol(k) {
  let bin = "";
  for (const b of new TextEncoder().encode(k)) bin += String.fromCharCode(b);
  return "sapa-key." + btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function start() {
  problem = null;
  renderProblem();
  $("iin-box").hidden = true;
  $("result").hidden = true;
  identity = null;
  $("live").hidden = false;
  shown = null;
  showHints([]);
  status("starting");
  setState("starting");
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
  } catch (e) {
    showError("no_camera", e.name);
    return;
  }
  const video = $("video");
  video.srcObject = stream;
  await video.play().catch(() => {});
  connect();
}

function stopCamera() {
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  $("video").srcObject = null;
}

function connect() {
  status("connecting");
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const protocols = ["sapa.v1"];
  const k = key();
  if (k) protocols.push(keyProtocol(k));
  seq = 0;
  sent = new Map();
  readySeqs = [];
  faceSince = null;
  capturing = false;
  const socket = new WebSocket(scheme + location.host + "/v1/guidance/ws?lang=" + lang, protocols);
  ws = socket;
  let opened = false;
  socket.onopen = () => { opened = true; setState("streaming"); status("look"); sendFrame(); };
  socket.onmessage = (ev) => { if (ws === socket) onAnswer(JSON.parse(ev.data)); };
  socket.onclose = () => {
    if (ws !== socket || capturing) return;
    ws = null;
    stopCamera();
    showError(opened ? "connection_lost" : "ws_refused");
  };
}

function sendFrame() {
  const video = $("video");
  if (!ws || ws.readyState !== WebSocket.OPEN || capturing) return;
  if (!video.videoWidth) { setTimeout(sendFrame, 100); return; }
  const wait = lastSend + 1000 / FPS - performance.now();
  if (wait > 0) { setTimeout(sendFrame, wait); return; }
  lastSend = performance.now();
  const scale = Math.min(1, 1280 / Math.max(video.videoWidth, video.videoHeight));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  canvas.toBlob((blob) => {
    if (!blob || !ws || ws.readyState !== WebSocket.OPEN || capturing) return;
    seq += 1;
    sent.set(seq, blob);
    for (const old of sent.keys()) if (old <= seq - 2 * KEEP) sent.delete(old);
    ws.send(blob);
  }, "image/jpeg", 0.92);
}

/// The live hints (or a frame's error), each rendered from its code.
function showHints(list) {
  hints = list;
  const ul = $("hints");
  clear(ul);
  for (const h of list) {
    const item = document.createElement("li");
    item.textContent = h.error ? msg("errors", h.code, h.message) : msg("hints", h.code, h.message);
    item.dataset.code = h.code;
    ul.appendChild(item);
  }
}

function onAnswer(a) {
  answered += 1;
  document.body.dataset.frames = String(answered);
  if (a.error) {
    showHints([{ code: a.error.code, message: a.error.message, error: true }]);
  } else {
    showHints(a.hints);
    if (a.face && faceSince === null) faceSince = performance.now();
    if (a.ready) readySeqs.push(a.seq); else readySeqs = [];
    document.body.dataset.ready = String(a.ready);
    $("steady").value = Math.min(HOLD, readySeqs.length);
    status(a.ready ? "ready" : "look");
  }
  const readyBlobs = readySeqs.map((s) => sent.get(s)).filter(Boolean);
  if (readyBlobs.length >= HOLD) {
    capture(readyBlobs.slice(-KEEP), "ready");
  } else if (faceSince !== null && performance.now() - faceSince > PATIENCE * 1000) {
    capture([...sent.values()].slice(-KEEP), "patience");
  } else {
    sendFrame();
  }
}

function authHeaders() {
  const headers = { "Accept": "application/json" };
  const k = key();
  if (k) headers["Authorization"] = "Bearer " + k;
  return headers;
}

async function post(frames) {
  const f = new FormData();
  frames.forEach((blob, i) => f.append("frame", blob, "frame-" + i + ".jpg"));
  const r = await fetch("/v1/capture?lang=" + lang, { method: "POST", headers: authHeaders(), body: f, cache: "no-store", credentials: "omit" });
  const json = await r.json().catch(() => null);
  if (!r.ok) {
    const e = json && json.error ? json.error : { code: String(r.status), message: r.statusText };
    throw Object.assign(new Error(e.message + " (" + e.code + ")"), { sapa: { code: e.code, message: e.message } });
  }
  return json;
}

/// The chosen frame and the IIN to /v1/kiosk/identify (in the body: never in the URL). A refusal
/// (unknown IIN, service unavailable) is shown as the outcome, with Sapa's message.
async function identify(photo) {
  const f = new FormData();
  f.append("photo", photo, "frame.jpg");
  f.append("iin", iin);
  const r = await fetch("/v1/kiosk/identify?lang=" + lang, { method: "POST", headers: authHeaders(), body: f, cache: "no-store", credentials: "omit" });
  const json = await r.json().catch(() => null);
  if (r.ok && json && json.outcome) return json;
  const e = json && json.error ? json.error : { code: String(r.status), message: r.statusText };
  return { error: e, status: r.status };
}

/// Refusals of identify that another photo can mend: the photo itself (too slow to arrive, too
/// large, unreadable) or a busy service. Not the IIN's record (none, or outdated) or the kiosk's
/// key: there a member of staff takes over.
const RETAKE_STATUSES = [408, 413, 422, 503];

/// Capture's answer, then identification on its chosen frame, once: the kiosk identifies first,
/// and identification has its own reasons to ask for a retake, so it does not wait for the frame
/// to pass as a document photo. The document photo's verdict is shown once the identity is
/// confirmed (a retake captures and identifies again: the document photo must be the identified
/// person's).
async function captureAndIdentify(frames) {
  const a = await post(frames);
  shown = a;
  renderIdentity({ pending: true });
  setState("identifying");
  const photo = frames[a.chosen] || frames[frames.length - 1];
  renderIdentity(await identify(photo));
  setState("done");
}

async function capture(frames, trigger) {
  capturing = true;
  document.body.dataset.trigger = trigger;
  if (ws) { const s = ws; ws = null; s.close(); }
  stopCamera();
  status("capturing");
  setState("capturing");
  try {
    await captureAndIdentify(frames);
  } catch (e) {
    problem = e.sapa || { code: "", message: String(e.message) };
    renderProblem();
    setState("error");
  }
}

/// The identification's outcome, then the capture's result under it (the document photo shows only
/// for a confirmed identity, and "Take another photo" depends on the outcome).
function renderIdentity(a) {
  identity = a;
  if (shown) renderResult(shown);
  const h = $("outcome");
  const ol = $("id-reasons");
  clear(ol);
  if (a.pending) {
    h.dataset.outcome = "pending";
    h.textContent = t("identifying");
    return;
  }
  if (a.error) {
    h.dataset.outcome = "error";
    h.dataset.code = a.error.code;
    h.textContent = msg("errors", a.error.code, a.error.message);
    return;
  }
  h.dataset.outcome = a.outcome;
  delete h.dataset.code;
  h.textContent = t(a.outcome);
  for (const r of a.reasons) {
    const item = document.createElement("li");
    item.textContent = msg("identify", r.code, r.message);
    item.dataset.code = r.code;
    ol.appendChild(item);
  }
}

function listItems(ol, items) {
  clear(ol);
  for (const [code, text] of items) {
    const item = document.createElement("li");
    item.textContent = text;
    if (code) item.dataset.code = code;
    ol.appendChild(item);
  }
}

/// The capture's verdict on the document photo. It is shown under the identity, and only once
/// the identity is confirmed: the kiosk takes the document photo of an identified person. What the
/// person can do (the hints) first; then, apart, the failures no hint covers (capture's `others`:
/// the camera, the background, a covered face), in the kiosk's wording where the general one
/// would ask for another camera or wall; "Take another photo" goes back to live guidance.
function renderResult(a) {
  shown = a;
  $("live").hidden = true;
  const outcome = identity && identity.outcome;
  const showDocument = outcome === "identified";
  $("document").hidden = !showDocument;
  const d = $("decision");
  const decision = a.captured ? "captured" : "not_captured";
  d.dataset.decision = decision;
  d.textContent = t(decision);
  const img = $("crop");
  if (a.crop) { img.src = "data:image/" + a.crop.format + ";base64," + a.crop.data; img.hidden = false; } else { img.removeAttribute("src"); img.hidden = true; }
  const fix = a.hints.map((h) => [h.code, msg("hints", h.code, h.message)]);
  const other = a.others.map((code) => {
    const c = a.report.checks.find((x) => x.code === code && !x.passed);
    const key = c && c.status === "not_measured" ? "not_measured" : code;
    return [code, key === code ? msg("kiosk", code, msg("checks", code, c && c.message)) : msg("checks", key, c.message)];
  });
  if (!a.captured && fix.length === 0 && other.length === 0) fix.push(["", t("nothing_to_fix")]);
  listItems($("reasons"), fix);
  listItems($("other-reasons"), other);
  $("fix-title").hidden = fix.length === 0;
  $("other-title").hidden = other.length === 0;
  // Another photo helps when the identity asks for one, a refusal is about the photo or a busy
  // service, or the document photo is not accepted; not after "not identified", a suspected
  // attack or an IIN with no usable reference (a member of staff takes over).
  const mendable = Boolean(identity && identity.error && RETAKE_STATUSES.includes(identity.status));
  const retake = outcome === "retake" || mendable || (showDocument && !a.captured);
  $("again").hidden = !retake || Boolean(identity && identity.pending);
  $("result").hidden = false;
  document.body.dataset.chosen = String(a.chosen);
}

/// The service's messages, once; until they are here (or if they cannot be had) the answers' own
/// messages are shown.
async function loadMessages() {
  try {
    const r = await fetch("/kiosk/messages.json", { cache: "no-cache", credentials: "omit" });
    if (r.ok) M = await r.json();
  } catch (e) { /* the answers' own messages stand in */ }
  applyLang();
}

document.addEventListener("DOMContentLoaded", () => {
  applyLang();
  loadMessages();
  showKeyState();
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, $("key").value.trim());
    $("key").value = "";
    showKeyState();
    askIin();
  });
  $("iin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const value = $("iin").value.replace(/\s+/g, "");
    iinError = iinProblem(value);
    if (iinError) {
      $("iin-error").textContent = t(iinError);
      $("iin-error").hidden = false;
      return;
    }
    iin = value;
    $("iin").value = "";
    $("iin-error").hidden = true;
    start();
  });
  $("next").addEventListener("click", askIin);
  $("key-forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    showKeyState();
    if (ws) { const s = ws; ws = null; s.close(); }
    stopCamera();
    $("live").hidden = true;
    $("iin-box").hidden = true;
    $("result").hidden = true;
    iin = null;
    setState("setup");
  });
  $("again").addEventListener("click", start);
  for (const b of document.querySelectorAll("#langs button")) {
    b.addEventListener("click", () => {
      lang = b.dataset.lang;
      sessionStorage.setItem(LANG, lang);
      // Everything on the screen is rendered again from its codes: no request, so a capture and
      // an identification are never sent twice, and the live stream goes on.
      applyLang();
    });
  }
  if (key() !== null) askIin(); else setState("setup");
});
