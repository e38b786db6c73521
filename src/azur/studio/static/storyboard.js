// The storyboard editor: shots as cards on a timeline (add, reorder by drag or keyboard, length, transition,
// image, character), a draft from a script, and one video made of all the shots (POST /v1/videos).
const TRANSITIONS = ["cut", "crossfade", "continue"];

let ctx; // { api, t, el, addCard, showError, loadUsage }
const shots = []; // {prompt, seconds, transition, image (data URL), imageName, character}
let dragged = null;

const $ = (id) => document.getElementById(id);

export function initStoryboard(context) {
  ctx = context;
  $("shot-add").addEventListener("click", () => { addShot({}); focusShot(shots.length - 1); });
  $("storyboard-make").addEventListener("click", makeVideo);
  $("draft-make").addEventListener("click", draftFromScript);
  render();
}

// Opens a storyboard video's shots for editing, with the images its shots started from.
export function openStoryboard(video) {
  shots.length = 0;
  for (const shot of video.storyboard || []) {
    shots.push({ prompt: shot.prompt, seconds: Number(shot.seconds), transition: shot.transition || "cut",
      character: shot.character || "", image: null, imageName: "" });
  }
  $("storyboard-title").value = video.prompt || "";
  render();
  $("storyboard-section").scrollIntoView({ block: "start" });
  focusShot(0);
  (video.storyboard || []).forEach((shot, index) => { if (shot.has_image) fetchImage(video.id, index, shots[index]); });
}

async function fetchImage(videoId, index, shot) {
  try {
    const res = await ctx.api(`/v1/videos/${videoId}/shots/${index}/image`, { raw: true });
    const blob = await res.blob();
    const reader = new FileReader();
    reader.onload = () => {
      if (!shots.includes(shot)) return; // the editor moved on (another storyboard opened)
      shot.image = reader.result;
      shot.imageName = `shot-${index + 1}.png`;
      render();
    };
    reader.readAsDataURL(blob);
  } catch { /* the image is gone: the shot is kept without it, as the hint shows */ }
}

export function renderStoryboard() { render(); }

function addShot(values) {
  shots.push({ prompt: "", seconds: 2, transition: "cut", image: null, imageName: "", character: "", ...values });
  render();
}

function move(from, to) {
  if (to < 0 || to >= shots.length || from === to) return;
  const [shot] = shots.splice(from, 1);
  shots.splice(to, 0, shot);
  render();
  focusShot(to);
}

function focusShot(index) {
  const card = document.querySelectorAll("#shots li.shot")[index];
  if (card) card.focus();
}

function total() {
  return shots.reduce((sum, shot) => sum + (Number(shot.seconds) || 0), 0);
}

function render() {
  const { t, el } = ctx;
  const list = $("shots");
  const cards = shots.map((shot, index) => {
    const number = index + 1;
    const prompt = el("textarea", { rows: "2", class: "shot-prompt", "aria-label": t("shot.prompt", { n: number }) });
    prompt.value = shot.prompt;
    prompt.addEventListener("input", () => { shot.prompt = prompt.value; });
    const seconds = el("input", { type: "number", min: "1", max: "20", step: "1", class: "shot-seconds",
      "aria-label": t("shot.seconds", { n: number }) });
    seconds.value = String(shot.seconds);
    seconds.addEventListener("input", () => { shot.seconds = Number(seconds.value); updateTotal(); });
    const transition = el("select", { class: "shot-transition", "aria-label": t("shot.transition", { n: number }) });
    for (const name of TRANSITIONS) {
      const option = el("option", { value: name, text: t(`transition.${name}`) });
      if (index === 0 && name !== "cut") option.disabled = true;
      transition.append(option);
    }
    transition.value = index === 0 ? "cut" : shot.transition;
    transition.addEventListener("change", () => { shot.transition = transition.value; });
    const image = el("input", { type: "file", accept: "image/png,image/jpeg,image/webp", class: "shot-image",
      "aria-label": t("shot.image", { n: number }) });
    image.addEventListener("change", () => attachImage(shot, image.files[0]));
    const character = el("input", { type: "text", class: "shot-character", maxlength: "128",
      "aria-label": t("shot.character", { n: number }), placeholder: t("shot.characterHint") });
    character.value = shot.character;
    character.addEventListener("input", () => { shot.character = character.value; });
    const tools = el("div", { class: "shot-tools" }, [
      el("button", { type: "button", class: "secondary earlier", text: "◀", title: t("shot.earlier"),
        "aria-label": t("shot.earlier"), onclick: () => move(index, index - 1) }),
      el("button", { type: "button", class: "secondary later", text: "▶", title: t("shot.later"),
        "aria-label": t("shot.later"), onclick: () => move(index, index + 1) }),
      el("button", { type: "button", class: "danger remove", text: t("shot.remove"),
        onclick: () => { shots.splice(index, 1); render(); } }),
    ]);
    const card = el("li", { class: "shot", draggable: "true", tabindex: "0", "data-index": String(index),
      "aria-label": t("shot.card", { n: number, seconds: shot.seconds }) }, [
      el("div", { class: "shot-head" }, [el("strong", { text: t("shot.number", { n: number }) }),
        el("span", { class: "shot-hint", text: shot.imageName ? t("shot.imageAttached", { name: shot.imageName }) : "" })]),
      prompt,
      el("div", { class: "shot-row" }, [labelled(t("shot.secondsShort"), seconds), labelled(t("shot.transitionShort"), transition)]),
      labelled(t("shot.imageShort"), image),
      labelled(t("shot.characterShort"), character),
      tools,
    ]);
    card.style.flexGrow = String(Math.max(1, Number(shot.seconds) || 1));
    card.addEventListener("keydown", (event) => {
      if (event.target !== card) return; // typing in a field is not a move
      if (event.key === "ArrowLeft" || event.key === "ArrowUp") { event.preventDefault(); move(index, index - 1); }
      if (event.key === "ArrowRight" || event.key === "ArrowDown") { event.preventDefault(); move(index, index + 1); }
      if (event.key === "Delete") { event.preventDefault(); shots.splice(index, 1); render(); focusShot(Math.min(index, shots.length - 1)); }
    });
    card.addEventListener("dragstart", (event) => {
      dragged = index;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(index));
      card.classList.add("dragging");
    });
    card.addEventListener("dragend", () => card.classList.remove("dragging"));
    card.addEventListener("dragover", (event) => { event.preventDefault(); event.dataTransfer.dropEffect = "move"; });
    card.addEventListener("drop", (event) => {
      event.preventDefault();
      const from = dragged ?? Number(event.dataTransfer.getData("text/plain"));
      dragged = null;
      move(from, index);
    });
    return card;
  });
  list.replaceChildren(...cards);
  $("shots-empty").hidden = shots.length > 0;
  $("storyboard-make").disabled = shots.length === 0;
  updateTotal();
}

function labelled(text, control) {
  const label = ctx.el("label", { class: "shot-label" }, [ctx.el("span", { text })]);
  label.append(control);
  return label;
}

function updateTotal() {
  $("storyboard-total").textContent = ctx.t("storyboard.total", { shots: shots.length, seconds: total() });
}

function attachImage(shot, file) {
  if (!file) return;
  const reader = new FileReader();
  reader.addEventListener("load", () => {
    shot.image = reader.result;
    shot.imageName = file.name;
    if (shot.transition === "continue") shot.transition = "cut"; // an image and "continue" exclude each other
    render();
  });
  reader.readAsDataURL(file);
}

async function draftFromScript() {
  const error = $("storyboard-error");
  error.hidden = true;
  const script = $("draft-script").value.trim();
  if (!script) { ctx.showError(error, ctx.t("draft.empty")); $("draft-script").focus(); return; }
  const button = $("draft-make");
  button.disabled = true;
  try {
    const draft = await ctx.api("/v1/storyboards/draft", { method: "POST", json: { script } });
    shots.length = 0;
    for (const shot of draft.storyboard) addShot({ prompt: shot.prompt, seconds: shot.seconds, transition: shot.transition });
    if (!$("storyboard-title").value.trim()) $("storyboard-title").value = script.split("\n")[0].slice(0, 120);
    render();
    if (draft.notes.length) ctx.showError(error, draft.notes.join(" "));
    focusShot(0);
  } catch (err) {
    ctx.showError(error, err.message);
  } finally {
    button.disabled = false;
  }
}

async function makeVideo() {
  const error = $("storyboard-error");
  error.hidden = true;
  const title = $("storyboard-title").value.trim() || (shots[0] && shots[0].prompt.trim()) || "";
  const body = {
    prompt: title,
    size: $("size").value,
    style: $("style").value,
    storyboard: shots.map((shot, index) => {
      const out = { prompt: shot.prompt.trim(), seconds: Number(shot.seconds), transition: index === 0 ? "cut" : shot.transition };
      if (shot.image) out.image = shot.image;
      if (shot.character.trim()) out.character = shot.character.trim();
      return out;
    }),
  };
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  const button = $("storyboard-make");
  button.disabled = true;
  try {
    const video = await ctx.api("/v1/videos", { method: "POST", json: body });
    ctx.addCard(video, true);
    ctx.loadUsage();
  } catch (err) {
    ctx.showError(error, err.message);
    if (err.param && err.param.startsWith("storyboard[")) focusShot(Number(err.param.slice(11, err.param.indexOf("]"))));
  } finally {
    button.disabled = shots.length === 0;
  }
}
