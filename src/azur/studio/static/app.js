// Azur Studio: a page over the OpenAI-compatible /v1 API. No build step, no third-party code.
import { LANGUAGES, pickLanguage, translate } from "/studio/i18n.js";
import { characterName, clearCharacters, initCharacters, loadCharacters, pickedCharacter, renderCharacters } from "/studio/characters.js";
import { createBatchPanel } from "/studio/batch.js";
import { loadWebhooks, mountWebhooks, renderWebhooks } from "/studio/webhooks.js";
import { initStoryboard, openStoryboard, renderStoryboard } from "/studio/storyboard.js";

const SIZES = [
  ["854x480", "landscape"], ["1280x720", "landscape"], ["1920x1080", "landscape"], ["1792x1024", "landscape"],
  ["480x854", "portrait"], ["720x1280", "portrait"], ["1080x1920", "portrait"], ["1024x1792", "portrait"],
  ["480x480", "square"], ["720x720", "square"], ["1080x1080", "square"],
];
const PAGE = 12;
const ACTIVE = new Set(["queued", "in_progress"]);

const state = {
  lang: pickLanguage(localStorage.getItem("azur.lang"), navigator.languages),
  key: sessionStorage.getItem("azur.key"),
  usage: null,
  lastId: null,
  cards: new Map(), // video id -> {li, video, objectUrls}
  polling: new Set(),
  models: [], // GET /v1/models: id, family, licence, capabilities, presets, loras
};

const $ = (id) => document.getElementById(id);
const t = (key, vars) => translate(state.lang, key, vars);
const batches = createBatchPanel({
  api,
  t,
  $,
  defaults: () => ({ seconds: $("seconds").value, size: $("size").value, style: $("style").value }),
  onVideos: () => { refreshNewest().catch(() => {}); loadUsage(); },
});

// ---------- API ----------
class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code;
    this.param = err.param;
  }
}

async function api(path, { method = "GET", json, form, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${state.key}` };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body });
  } catch {
    throw new ApiError(0, { error: { message: t("error.network") } });
  }
  if (!res.ok) {
    let payload = null;
    try { payload = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, payload);
  }
  if (raw) return res;
  return res.json();
}

// ---------- language ----------
function applyLanguage() {
  document.documentElement.lang = state.lang;
  $("lang").value = state.lang;
  document.title = t("app.title");
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll("[data-i18n-aria-label]")) el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  renderWebhooks();
  fillSizes();
  renderUsage();
  renderModel();
  renderStoryboard();
  renderCharacters();
  for (const card of state.cards.values()) renderCard(card);
  batches.rerender();
}

// ---------- sign in / out ----------
async function signIn(key) {
  state.key = key;
  try {
    await api("/v1/videos?limit=1");
  } catch (err) {
    state.key = null;
    throw err;
  }
  sessionStorage.setItem("azur.key", key);
  await showWorkspace();
}

function signOut() {
  sessionStorage.removeItem("azur.key");
  state.key = null;
  state.usage = null;
  for (const card of state.cards.values()) revoke(card);
  state.cards.clear();
  state.polling.clear();
  batches.clear();
  $("library").replaceChildren();
  clearCharacters();
  $("webhooks").replaceChildren();
  $("webhook-secret").hidden = true;
  showPage("videos");
  $("workspace").hidden = true;
  delete $("workspace").dataset.ready;
  $("signout").hidden = true;
  $("plan").hidden = true;
  $("signin").hidden = false;
  $("api-key").value = "";
  $("api-key").focus();
}

async function showWorkspace() {
  $("signin").hidden = true;
  $("workspace").hidden = false;
  $("signout").hidden = false;
  await Promise.all([loadUsage(), loadModels()]);
  await loadCharacters().catch(() => clearCharacters());
  state.lastId = null;
  $("library").replaceChildren();
  state.cards.clear();
  await loadMore();
  batches.clear();
  batches.load().catch(() => {});
  // Only if nobody is typing yet: the library can take a while to load, and focus taken from a field being
  // filled sends the rest of what is typed into the prompt.
  if (!$("workspace").contains(document.activeElement)) $("prompt").focus();
  $("workspace").dataset.ready = "true"; // plan, models, characters and library are loaded (tests wait for this)
}

// ---------- pages: videos, webhooks ----------
function showPage(name) {
  $("videos-page").hidden = name !== "videos";
  $("webhooks-page").hidden = name !== "webhooks";
  for (const [page, tab] of [["videos", "tab-videos"], ["webhooks", "tab-webhooks"]]) {
    if (page === name) $(tab).setAttribute("aria-current", "page");
    else $(tab).removeAttribute("aria-current");
  }
  if (name === "webhooks") loadWebhooks();
}

// ---------- plan and quota ----------
async function loadUsage() {
  try {
    state.usage = await api("/v1/usage");
  } catch {
    state.usage = null; // a server without plans: every size and duration it knows is offered
  }
  fillSizes(); // before the plan shows: once it does, the sizes offered are the plan's
  renderUsage();
}

function renderUsage() {
  const u = state.usage;
  $("plan").hidden = !u;
  if (!u) return;
  $("plan-name").textContent = `${t("plan.label")}: ${u.plan.name}`;
  const meter = $("plan-meter");
  meter.max = Math.max(1, u.videos.limit);
  meter.value = u.videos.used;
  const parts = [t("plan.used", { used: u.videos.used, limit: u.videos.limit })];
  if (u.period && u.period.end) {
    parts.push(t("plan.resets", { date: new Date(u.period.end * 1000).toLocaleDateString(state.lang) }));
  }
  if (u.credits && u.credits.limit) parts.push(t("plan.credits", { credits: u.credits.remaining }));
  $("plan-text").textContent = parts.join(" · ");
  const seconds = $("seconds");
  seconds.max = String(u.plan.max_seconds);
  if (Number(seconds.value) > u.plan.max_seconds) seconds.value = String(u.plan.max_seconds);
}

function fillSizes() {
  const select = $("size");
  const current = select.value || "1280x720";
  const maxRes = state.usage ? state.usage.plan.max_resolution : Infinity;
  select.replaceChildren();
  for (const [size, aspect] of SIZES) {
    const [w, h] = size.split("x").map(Number);
    if (Math.min(w, h) > maxRes) continue;
    const option = document.createElement("option");
    option.value = size;
    option.textContent = `${size} · ${t(`aspect.${aspect}`)}`;
    select.append(option);
  }
  const values = [...select.options].map((o) => o.value);
  select.value = values.includes(current) ? current : values.includes("854x480") ? "854x480" : values[0];
}

// ---------- models ----------
async function loadModels() {
  try {
    state.models = (await api("/v1/models")).data;
  } catch {
    state.models = []; // the composer then sends no model: the server's default runs
  }
  const select = $("model");
  const current = select.value;
  select.replaceChildren();
  for (const model of state.models) {
    const option = document.createElement("option");
    option.value = model.id;
    option.textContent = model.family ? `${model.id} (${model.family})` : model.id;
    select.append(option);
  }
  const ids = state.models.map((m) => m.id);
  select.value = ids.includes(current) ? current : ids.includes("azur-tiny") ? "azur-tiny" : ids[0] || "";
  $("model-field").hidden = ids.length === 0;
  renderModel();
  $("compose").dataset.models = String(ids.length); // the picker is filled (tests wait for this)
}

function selectedModel() {
  return state.models.find((m) => m.id === $("model").value) || null;
}

function renderModel() {
  const model = selectedModel();
  const presets = model && model.presets ? model.presets : {};
  $("quality-field").hidden = Object.keys(presets).length === 0;
  for (const option of $("quality").options) {
    const preset = presets[option.value];
    option.textContent = t(`quality.${option.value}`) + (preset ? ` · ${t("model.steps", { steps: preset.steps })}` : "");
  }
  const loras = model && model.loras ? model.loras : [];
  const lora = $("lora");
  const chosen = lora.value;
  lora.replaceChildren(new Option(t("lora.none"), ""));
  for (const item of loras) lora.append(new Option(item.name, item.name));
  lora.value = loras.some((l) => l.name === chosen) ? chosen : "";
  $("lora-field").hidden = loras.length === 0;
  const info = $("model-info");
  info.hidden = !model;
  if (!model) return;
  const caps = model.capabilities || {};
  const parts = [];
  if (model.licence) {
    const limits = model.licence.restrictions || [];
    parts.push(t("model.licence", { name: model.licence.name }) + (limits.length ? ` (${limits.join("; ")})` : ""));
  } else {
    parts.push(t("model.licenceUnknown"));
  }
  parts.push(t(caps.first_frame ? "model.firstFrame" : "model.noFirstFrame"));
  if (caps.sound) parts.push(t("model.sound"));
  if (caps.max_seconds) parts.push(t("model.maxSeconds", { seconds: caps.max_seconds }));
  info.textContent = parts.join(" · ");
}

// ---------- composer ----------
async function submitCompose(event) {
  event.preventDefault();
  const error = $("compose-error");
  error.hidden = true;
  const prompt = $("prompt").value.trim();
  if (!prompt) {
    showError(error, t("compose.promptEmpty"));
    $("prompt").focus();
    return;
  }
  const form = new FormData();
  form.append("prompt", prompt);
  form.append("seconds", $("seconds").value);
  form.append("size", $("size").value);
  form.append("style", $("style").value);
  if ($("seed").value !== "") form.append("seed", $("seed").value);
  if (!$("model-field").hidden && $("model").value) form.append("model", $("model").value);
  if (!$("quality-field").hidden) form.append("quality", $("quality").value);
  if (!$("lora-field").hidden && $("lora").value) form.append("lora", $("lora").value);
  if (pickedCharacter()) form.append("character_ids", pickedCharacter());
  const file = $("image").files[0];
  if (file) form.append("input_reference", file, file.name);
  if ($("consent").checked) form.append("likeness_consent", "true");
  appendSound(form);
  if ($("loop").checked) form.append("loop", "true");
  const button = $("generate");
  button.disabled = true;
  button.textContent = t("compose.sending");
  try {
    const video = await api("/v1/videos", { method: "POST", form });
    addCard(video, true);
    $("prompt").value = "";
    $("image").value = "";
    loadUsage();
  } catch (err) {
    showError(error, err.message);
  } finally {
    button.disabled = false;
    button.textContent = t("compose.submit");
  }
}

// The sound controls as the API's `audio` option, in the bracket form the official client uses for
// multipart (audio[music][mood]=calm). Nothing chosen: no field, so the plan's default applies.
function appendSound(form) {
  const text = $("voiceover").value.trim();
  if (text) {
    form.append("audio[voiceover][text]", text);
    form.append("audio[voiceover][language]", $("voice-language").value);
    form.append("audio[voiceover][voice]", $("voice").value);
    form.append("audio[voiceover][speed]", $("voice-speed").value);
  }
  if ($("music").value) {
    form.append("audio[music][mood]", $("music").value);
    form.append("audio[music][intensity]", $("music-intensity").value);
  }
  if ($("effects").checked) form.append("audio[effects]", "true");
}

function showError(el, message) {
  el.textContent = message;
  el.hidden = false;
}

// ---------- library ----------
async function loadMore() {
  const params = new URLSearchParams({ limit: String(PAGE), order: "desc" });
  if (state.lastId) params.set("after", state.lastId);
  const page = await api(`/v1/videos?${params}`);
  for (const video of page.data) addCard(video, false);
  state.lastId = page.last_id || state.lastId;
  $("more").hidden = !page.has_more;
  $("library-empty").hidden = state.cards.size > 0;
}

// Videos newer than the library's top (a batch's, made elsewhere), added above it.
async function refreshNewest() {
  const page = await api(`/v1/videos?limit=${PAGE}&order=desc`);
  for (const video of page.data.reverse()) addCard(video, true);
}

function addCard(video, atTop) {
  if (state.cards.has(video.id)) return;
  const li = document.createElement("li");
  li.className = "video";
  li.dataset.id = video.id;
  const card = { li, video, urls: [], thumbLoaded: false };
  state.cards.set(video.id, card);
  const list = $("library");
  if (atTop) list.prepend(li); else list.append(li);
  $("library-empty").hidden = true;
  renderCard(card);
  if (ACTIVE.has(video.status)) poll(card);
}

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function renderCard(card) {
  const v = card.video;
  const media = card.li.querySelector(".media") || el("div", { class: "media" });
  const statusText = t(`status.${v.status}`);
  const children = [media];
  children.push(el("p", { class: "prompt", text: v.prompt || "" }));
  const extras = [];
  if (v.storyboard) extras.push(t("card.shots", { n: v.storyboard.length }));
  if (v.loop) extras.push(t("card.loop"));
  // What it was made with beyond the prompt: its character, LoRAs and sampling preset.
  const shown = (v.character_ids || []).map(characterName).filter(Boolean);
  if (shown.length) extras.push(t("card.character", { name: shown.join(", ") }));
  if (v.loras && v.loras.length) extras.push(`LoRA ${v.loras.map((l) => l.name).join(", ")}`);
  if (v.quality) extras.push(t(`quality.${v.quality}`));
  children.push(el("p", { class: "meta", text: [`${v.size} · ${v.seconds} s · ${v.model}`, ...extras].join(" · ") }));
  const badge = el("span", { class: `status ${v.status}`, text: statusText });
  children.push(el("div", { class: "state" }, [badge]));
  if (ACTIVE.has(v.status)) {
    const bar = el("progress", { max: "100", value: String(v.progress || 0), "aria-label": statusText });
    children.push(el("div", { class: "progress" }, [bar, el("span", { class: "pct", text: `${v.progress || 0}%` })]));
  }
  if (v.status === "failed" && v.error) children.push(el("p", { class: "error", role: "alert", text: v.error.message }));
  if (v.status === "completed") {
    const prov = v.provenance || {};
    const tags = [el("span", { class: "tag ai", text: t("prov.ai") })];
    if (prov.c2pa_signed) tags.push(el("span", { class: "tag", text: t("prov.c2pa") }));
    if (prov.watermark_id) tags.push(el("span", { class: "tag", text: `${t("prov.watermark")} ${prov.watermark_id}` }));
    const sound = prov.ai_generated_audio || [];
    if (sound.length) {
      const parts = sound.map((part) => t(`sound.part.${part}`)).join(", ");
      tags.push(el("span", { class: "tag sound", text: `${t("prov.sound")}: ${parts}` }));
    }
    children.push(el("div", { class: "provenance" }, tags));
  }
  const actions = el("div", { class: "actions" });
  if (v.status === "completed") {
    actions.append(
      el("button", { type: "button", class: "play", text: t("action.play"), onclick: () => play(card) }),
      el("button", { type: "button", class: "secondary download", text: t("action.download"), onclick: () => download(card) }),
      el("button", { type: "button", class: "secondary remix", text: t("action.remix"), onclick: () => remix(card) }),
      el("button", { type: "button", class: "secondary extend", text: t("action.extend"), onclick: () => extend(card) }),
      el("button", { type: "button", class: "secondary blend", text: t("action.blend"), onclick: () => blend(card) }),
    );
    if (v.storyboard) {
      actions.append(el("button", { type: "button", class: "secondary edit-storyboard", text: t("action.storyboard"),
        onclick: () => openStoryboard(v) }));
    }
  }
  actions.append(el("button", { type: "button", class: "danger delete", text: t("action.delete"), onclick: () => remove(card) }));
  children.push(actions);
  card.li.replaceChildren(...children);
  card.li.dataset.status = v.status;
  if (v.status === "completed" && !card.thumbLoaded) loadThumbnail(card);
}

async function blobUrl(card, variant) {
  const res = await api(`/v1/videos/${card.video.id}/content?variant=${variant}`, { raw: true });
  const url = URL.createObjectURL(await res.blob());
  card.urls.push(url);
  return url;
}

function revoke(card) {
  for (const url of card.urls) URL.revokeObjectURL(url);
  card.urls = [];
}

async function loadThumbnail(card) {
  card.thumbLoaded = true;
  try {
    const url = await blobUrl(card, "thumbnail");
    const media = card.li.querySelector(".media");
    if (media && !media.querySelector("video")) {
      media.replaceChildren(el("img", { src: url, alt: card.video.prompt || "", loading: "lazy" }));
    }
  } catch { card.thumbLoaded = false; }
}

async function play(card) {
  const media = card.li.querySelector(".media");
  const url = await blobUrl(card, "video");
  const video = el("video", { src: url, controls: "", playsinline: "", autoplay: "", muted: "" });
  video.muted = true;
  const here = card.li.contains(document.activeElement) || document.activeElement === document.body;
  media.replaceChildren(video);
  if (here) video.focus(); // not if the person has moved on to another field while the video downloaded
}

async function download(card) {
  const url = await blobUrl(card, "video");
  const a = el("a", { href: url, download: `${card.video.id}.mp4` });
  document.body.append(a);
  a.click();
  a.remove();
}

function askPrompt(title, initial, withSeconds) {
  const dialog = $("prompt-dialog");
  $("prompt-dialog-title").textContent = title;
  $("dialog-prompt").value = initial;
  $("dialog-seconds-field").hidden = !withSeconds;
  if (state.usage) $("dialog-seconds").max = String(state.usage.plan.max_seconds);
  $("dialog-error").hidden = true;
  dialog.showModal();
  $("dialog-prompt").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const prompt = $("dialog-prompt").value.trim();
      resolve(dialog.returnValue === "ok" && prompt ? { prompt, seconds: $("dialog-seconds").value } : null);
    }, { once: true });
  });
}

async function remix(card) {
  if (card.video.storyboard) { openStoryboard(card.video); return; } // a storyboard is remixed shot by shot
  const answer = await askPrompt(t("remix.title"), card.video.prompt || "", false);
  if (!answer) return;
  await startDerived(() => api(`/v1/videos/${card.video.id}/remix`, { method: "POST", json: { prompt: answer.prompt } }));
}

async function extend(card) {
  const answer = await askPrompt(t("extend.title"), card.video.prompt || "", true);
  if (!answer) return;
  await startDerived(() => api("/v1/videos/extensions", {
    method: "POST", json: { prompt: answer.prompt, seconds: answer.seconds, video: { id: card.video.id } },
  }));
}

async function blend(card) {
  const others = [...state.cards.values()].filter((c) => c !== card && c.video.status === "completed");
  const error = $("compose-error");
  if (!others.length) { showError(error, t("blend.none")); error.scrollIntoView({ block: "center" }); return; }
  const select = $("blend-target");
  select.replaceChildren(...others.map((c) => el("option", { value: c.video.id,
    text: `${(c.video.prompt || c.video.id).slice(0, 60)} (${c.video.seconds} s)` })));
  const dialog = $("blend-dialog");
  dialog.showModal();
  select.focus();
  const ok = await new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
  if (!ok) return;
  await startDerived(() => api("/v1/videos/blends", { method: "POST", json: { video_ids: [card.video.id, select.value] } }));
}

async function startDerived(call) {
  const error = $("compose-error");
  error.hidden = true;
  try {
    addCard(await call(), true);
    loadUsage();
  } catch (err) {
    showError(error, err.message);
    error.scrollIntoView({ block: "center" });
  }
}

async function remove(card) {
  const dialog = $("delete-dialog");
  dialog.showModal();
  const ok = await new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
  if (!ok) return;
  try {
    await api(`/v1/videos/${card.video.id}`, { method: "DELETE" });
  } catch (err) {
    if (err.status !== 404) { showError($("compose-error"), err.message); return; }
  }
  state.polling.delete(card.video.id);
  revoke(card);
  card.li.remove();
  state.cards.delete(card.video.id);
  $("library-empty").hidden = state.cards.size > 0;
  loadUsage();
}

// ---------- live progress ----------
async function poll(card) {
  const id = card.video.id;
  if (state.polling.has(id)) return;
  state.polling.add(id);
  while (state.polling.has(id) && state.key) {
    let wait = 1000;
    try {
      const res = await api(`/v1/videos/${id}`, { raw: true });
      const after = Number(res.headers.get("openai-poll-after-ms"));
      if (after > 0) wait = Math.min(Math.max(after, 250), 5000);
      card.video = await res.json();
      if (!state.cards.has(id)) break;
      renderCard(card);
      if (!ACTIVE.has(card.video.status)) break;
    } catch (err) {
      if (err.status === 404) break;
    }
    await new Promise((r) => setTimeout(r, wait));
  }
  state.polling.delete(id);
}

// ---------- start ----------
function init() {
  $("lang").addEventListener("change", (e) => {
    state.lang = LANGUAGES.includes(e.target.value) ? e.target.value : "en";
    localStorage.setItem("azur.lang", state.lang);
    applyLanguage();
  });
  $("signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = $("signin-error");
    error.hidden = true;
    try {
      await signIn($("api-key").value.trim());
    } catch (err) {
      showError(error, err.status === 401 ? t("signin.bad") : err.message);
    }
  });
  $("signout").addEventListener("click", signOut);
  $("compose").addEventListener("submit", submitCompose);
  initCharacters({ api, t, el, showError });
  batches.init();
  $("model").addEventListener("change", renderModel);
  $("more").addEventListener("click", () => loadMore().catch((err) => showError($("compose-error"), err.message)));
  $("tab-videos").addEventListener("click", () => showPage("videos"));
  $("tab-webhooks").addEventListener("click", () => showPage("webhooks"));
  mountWebhooks({ api, t, el, showError });
  initStoryboard({ api, t, el, addCard, showError, loadUsage });
  applyLanguage();
  if (state.key) showWorkspace().catch(() => signOut());
  else $("api-key").focus();
}

init();
