// The officers' review page: one photo (and optionally a reference and a signature) through the
// same API as any client, with the tab's API key. Nothing is stored: the key lives in this tab's
// sessionStorage, the photos only in memory while the page shows them.
"use strict";

const T = {
  en: {
    title: "Sapa review", key_label: "API key", key_save: "Use this key", key_set: "Key set for this tab.",
    key_forget: "Forget", photo: "Photo", reference: "Reference photo (optional)", reference_caption: "Reference photo",
    signature: "Signature sample (optional)", drop_hint: "Drop a file here or choose one.", profile: "Profile",
    run: "Check", running: "Checking…", reasons: "Reasons", match: "Match against the reference",
    score: "Score", operating_point: "operating point", signature_check: "Signature", checks: "Every check",
    code: "Code", measure: "Measure", value: "Value", threshold: "Threshold", verdict: "Verdict",
    privacy: "Photos stay in this tab: they are sent to Sapa to be checked and never stored.",
    accept: "Accepted", reject: "Rejected", no_reasons: "Nothing to fix.", passed: "passed", failed: "failed",
    warned: "warning", not_measured: "not measured", fixed_by_crop: "set by the crop", no_photo: "Choose a photo first.",
    match_match: "Same person", match_no_match: "Not the same person", match_retake: "Take the photo again",
    match_reference_unusable: "The reference photo cannot be used",
    legend_face: "face", legend_crop: "35×45 crop", legend_band: "profile bands", legend_region: "failed check",
    warning: "Warning",
  },
  ru: {
    title: "Проверка Sapa", key_label: "API-ключ", key_save: "Использовать ключ", key_set: "Ключ задан для этой вкладки.",
    key_forget: "Забыть", photo: "Фотография", reference: "Эталонное фото (необязательно)", reference_caption: "Эталонное фото",
    signature: "Образец подписи (необязательно)", drop_hint: "Перетащите файл сюда или выберите его.", profile: "Профиль",
    run: "Проверить", running: "Проверяем…", reasons: "Причины", match: "Сравнение с эталоном",
    score: "Оценка", operating_point: "рабочая точка", signature_check: "Подпись", checks: "Все проверки",
    code: "Код", measure: "Измерение", value: "Значение", threshold: "Порог", verdict: "Итог",
    privacy: "Фотографии остаются в этой вкладке: они отправляются в Sapa на проверку и нигде не сохраняются.",
    accept: "Принято", reject: "Отклонено", no_reasons: "Исправлять нечего.", passed: "пройдено", failed: "не пройдено",
    warned: "предупреждение", not_measured: "не измерено", fixed_by_crop: "задано кадрированием", no_photo: "Сначала выберите фотографию.",
    match_match: "Один и тот же человек", match_no_match: "Разные люди", match_retake: "Сфотографируйтесь ещё раз",
    match_reference_unusable: "Эталонное фото непригодно",
    legend_face: "лицо", legend_crop: "кадр 35×45", legend_band: "полосы профиля", legend_region: "непройденная проверка",
    warning: "Предупреждение",
  },
  kk: {
    title: "Sapa тексеруі", key_label: "API кілті", key_save: "Осы кілтті қолдану", key_set: "Кілт осы қойындыға орнатылды.",
    key_forget: "Ұмыту", photo: "Фотосурет", reference: "Эталон фотосурет (міндетті емес)", reference_caption: "Эталон фотосурет",
    signature: "Қолтаңба үлгісі (міндетті емес)", drop_hint: "Файлды осында сүйреңіз немесе таңдаңыз.", profile: "Профиль",
    run: "Тексеру", running: "Тексерілуде…", reasons: "Себептер", match: "Эталонмен салыстыру",
    score: "Баға", operating_point: "жұмыс нүктесі", signature_check: "Қолтаңба", checks: "Барлық тексерулер",
    code: "Код", measure: "Өлшем", value: "Мәні", threshold: "Шегі", verdict: "Қорытынды",
    privacy: "Фотосуреттер осы қойындыда қалады: олар Sapa-ға тексеруге жіберіледі және сақталмайды.",
    accept: "Қабылданды", reject: "Қабылданбады", no_reasons: "Түзететін ештеңе жоқ.", passed: "өтті", failed: "өтпеді",
    warned: "ескерту", not_measured: "өлшенбеді", fixed_by_crop: "кадрлаумен белгіленді", no_photo: "Алдымен фотосуретті таңдаңыз.",
    match_match: "Бір адам", match_no_match: "Әртүрлі адамдар", match_retake: "Қайта суретке түсіңіз",
    match_reference_unusable: "Эталон фотосуретті қолдану мүмкін емес",
    legend_face: "бет", legend_crop: "35×45 кадр", legend_band: "профиль жолақтары", legend_region: "өтпеген тексеру",
    warning: "Ескерту",
  },
};

const KEY = "sapa.review.key";
const LANG = "sapa.review.lang";
const $ = (id) => document.getElementById(id);
let lang = sessionStorage.getItem(LANG) || (navigator.language || "en").slice(0, 2);
if (!T[lang]) lang = "en";
let last = null; // the last answers, re-rendered on a language switch only by asking again
let photoUrl = null;
let referenceUrl = null;

function t(k) { return T[lang][k] || T.en[k] || k; }

function applyLang() {
  document.documentElement.lang = lang;
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const b of document.querySelectorAll("#langs button")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  legend();
}

function showKeyState() {
  const has = sessionStorage.getItem(KEY) !== null;
  $("key-form").hidden = has;
  $("key-state").hidden = !has;
}

function headers() {
  const h = { "Accept": "application/json" };
  const k = sessionStorage.getItem(KEY);
  if (k) h["Authorization"] = "Bearer " + k;
  return h;
}

async function call(path, body) {
  const r = await fetch(path, { method: "POST", headers: headers(), body, cache: "no-store", credentials: "omit" });
  const json = await r.json().catch(() => null);
  if (!r.ok) {
    const e = json && json.error ? json.error : { code: String(r.status), message: r.statusText };
    throw new Error(e.message + " (" + e.code + ")");
  }
  return json;
}

function form(parts) {
  const f = new FormData();
  for (const [name, file] of parts) f.append(name, file, name);
  return f;
}

function fmt(v) {
  if (v === null || v === undefined) return "—";
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);
}

function threshold(th) {
  if (th.min !== undefined && th.max !== undefined) return fmt(th.min) + " … " + fmt(th.max);
  if (th.min !== undefined) return "≥ " + fmt(th.min);
  return "≤ " + fmt(th.max);
}

function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

function li(list, text, code) {
  const item = document.createElement("li");
  item.textContent = text;
  if (code) item.dataset.code = code;
  list.appendChild(item);
}

/// The first failing check's message per code, in the report's order (most important first).
function reasons(report, codes) {
  return codes.map((code) => {
    const c = report.checks.find((x) => x.code === code && !x.passed);
    return [code, c ? c.message : code];
  });
}

function legend() {
  const box = $("legend");
  if (!box) return;
  clear(box);
  for (const [k, colour] of [["legend_face", "#29b6f6"], ["legend_crop", "#66bb6a"], ["legend_band", "#42a5f5"], ["legend_region", "#ff1744"]]) {
    const s = document.createElement("span");
    const i = document.createElement("i");
    i.style.background = colour;
    s.appendChild(i);
    s.appendChild(document.createTextNode(t(k)));
    box.appendChild(s);
  }
}

function renderReport(report) {
  const d = $("decision");
  d.className = report.decision;
  d.dataset.decision = report.decision;
  d.textContent = t(report.decision);
  const ol = $("reasons");
  clear(ol);
  const rs = reasons(report, report.failed);
  if (rs.length === 0) li(ol, t("no_reasons"));
  for (const [code, msg] of rs) li(ol, msg, code);
  const ul = $("warnings");
  clear(ul);
  for (const [code, msg] of reasons(report, report.warnings)) li(ul, t("warning") + ": " + msg, code);

  const tbody = $("checks").tBodies[0];
  clear(tbody);
  for (const c of report.checks) {
    const tr = document.createElement("tr");
    const verdict = c.status === "not_measured" ? t("not_measured")
      : c.status === "fixed_by_crop" ? t("fixed_by_crop")
      : c.passed ? t("passed") : c.severity === "warn" ? t("warned") : t("failed");
    tr.className = c.status === "not_measured" ? "unmeasured" : c.passed ? "pass" : c.severity === "warn" ? "warn" : "fail";
    tr.dataset.code = c.code;
    tr.dataset.measure = c.measure;
    for (const text of [c.code, c.measure, fmt(c.value), threshold(c.threshold), verdict]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    tr.title = c.message;
    tbody.appendChild(tr);
  }

  const box = $("overlay");
  clear(box);
  const img = document.createElement("img");
  img.alt = "";
  img.src = photoUrl;
  box.appendChild(img);
  if (report.overlay && report.overlay.svg) {
    const doc = new DOMParser().parseFromString(report.overlay.svg, "image/svg+xml");
    const svg = doc.documentElement;
    if (svg && svg.nodeName === "svg") box.appendChild(document.importNode(svg, true));
  }
  legend();
}

function renderMatch(m) {
  $("match").hidden = false;
  $("match-decision").dataset.decision = m.decision;
  $("match-decision").textContent = t("match_" + m.decision);
  $("match-score").textContent = m.score.toFixed(3);
  $("match-threshold").textContent = m.threshold.toFixed(3);
  $("match-fmr").textContent = String(m.fmr);
  $("match-meter").value = Math.max(0, m.score);
  $("match-meter").low = m.threshold;
  $("match-meter").optimum = 1;
  const ol = $("match-reasons");
  clear(ol);
  for (const r of m.reasons || []) li(ol, r.message, r.reason);
  $("reference-box").hidden = false;
  $("reference-img").src = referenceUrl;
}

function renderSignature(s) {
  $("signature-result").hidden = false;
  const d = $("signature-decision");
  d.dataset.decision = s.decision;
  d.textContent = t(s.decision);
  const ol = $("signature-reasons");
  clear(ol);
  for (const [code, msg] of reasons(s, s.failed)) li(ol, msg, code);
  const img = $("signature-img");
  if (s.normalised_png) { img.src = "data:image/png;base64," + s.normalised_png; img.hidden = false; } else { img.hidden = true; }
}

function objectUrl(old, file) {
  if (old) URL.revokeObjectURL(old);
  return file ? URL.createObjectURL(file) : null;
}

async function run(ev) {
  if (ev) ev.preventDefault();
  const photo = $("photo").files[0];
  const reference = $("reference").files[0];
  const signature = $("signature").files[0];
  $("error").hidden = true;
  if (!photo) { $("error").textContent = t("no_photo"); $("error").hidden = false; return; }
  photoUrl = objectUrl(photoUrl, photo);
  referenceUrl = objectUrl(referenceUrl, reference);
  const q = "lang=" + lang + "&profile=" + encodeURIComponent($("profile").value);
  $("busy").hidden = false;
  $("run").disabled = true;
  $("match").hidden = true;
  $("signature-result").hidden = true;
  $("reference-box").hidden = true;
  document.body.dataset.state = "busy";
  try {
    const report = await call("/v1/validate?overlay=svg&" + q, form([["photo", photo]]));
    renderReport(report);
    $("result").hidden = false;
    if (reference) renderMatch(await call("/v1/verify?lang=" + lang, form([["probe", photo], ["reference", reference]])));
    if (signature) renderSignature(await call("/v1/signature?" + q, form([["signature", signature]])));
    last = true;
    document.body.dataset.state = "done";
  } catch (e) {
    $("error").textContent = e.message;
    $("error").hidden = false;
    document.body.dataset.state = "error";
  } finally {
    $("busy").hidden = true;
    $("run").disabled = false;
  }
}

function dropZone(zoneId, inputId) {
  const zone = $(zoneId);
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) $(inputId).files = e.dataTransfer.files;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  applyLang();
  showKeyState();
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, $("key").value.trim());
    $("key").value = "";
    showKeyState();
  });
  $("key-forget").addEventListener("click", () => { sessionStorage.removeItem(KEY); showKeyState(); });
  for (const b of document.querySelectorAll("#langs button")) {
    b.addEventListener("click", () => {
      lang = b.dataset.lang;
      sessionStorage.setItem(LANG, lang);
      applyLang();
      // The reasons come from Sapa in the chosen language: ask again when a result is shown.
      if (last && $("photo").files[0]) run();
    });
  }
  $("inputs").addEventListener("submit", run);
  dropZone("drop-photo", "photo");
  dropZone("drop-reference", "reference");
  dropZone("drop-signature", "signature");
  document.body.dataset.state = "ready";
});
