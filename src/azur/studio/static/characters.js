// The characters page of the studio: create a character from an image, list, delete, and pick one for a
// generation (the composer's "Character" select). Over /v1/videos/characters; see azur.characters.

// The embedded model's palette (azur/embedded/world.py), to draw each character's look as a swatch.
const PALETTE = {
  red: "#dc2828", orange: "#f58c14", yellow: "#f0dc28", green: "#28aa3c",
  blue: "#2850dc", purple: "#8c3cbe", white: "#f5f5f5", black: "#0f0f0f",
};

let ctx = null; // {api, t, el, showError}
const characters = new Map(); // id -> character

const $ = (id) => document.getElementById(id);

export function initCharacters(helpers) {
  ctx = helpers;
  $("character-form").addEventListener("submit", createCharacter);
}

export async function loadCharacters() {
  const page = await ctx.api("/v1/videos/characters?limit=100");
  characters.clear();
  for (const c of page.data) characters.set(c.id, c);
  renderCharacters();
}

export function clearCharacters() {
  characters.clear();
  $("character-list").replaceChildren();
  fillPicker();
}

// A character's name, for the video cards that show it ("" when it is not (or no longer) in the list).
export function characterName(id) {
  return characters.get(id)?.name || "";
}

// The id of the character picked for the next generation, or "".
export function pickedCharacter() {
  return $("character").value;
}

export function renderCharacters() {
  if (!ctx) return;
  const { t, el } = ctx;
  const list = $("character-list");
  list.replaceChildren();
  for (const c of characters.values()) {
    const look = c.look || {};
    const feminine = t(`shape.gender.${look.shape}`) === "feminine"; // French colours agree with the shape
    const description = t("characters.look", {
      color: t(`color.${feminine ? "feminine." : ""}${look.object_color}`), shape: t(`shape.${look.shape}`),
    });
    const li = el("li", { class: "character", "data-id": c.id }, [
      swatch(look, description),
      el("div", { class: "who" }, [
        el("p", { class: "name", text: c.name }),
        el("p", { class: "meta", text: description }),
      ]),
      el("button", {
        type: "button", class: "danger delete", text: t("action.delete"),
        "aria-label": `${t("action.delete")} ${c.name}`, onclick: () => deleteCharacter(c.id),
      }),
    ]);
    list.append(li);
  }
  $("characters-empty").hidden = characters.size > 0;
  fillPicker();
}

function swatch(look, description) {
  // A canvas, not styled markup: the page's CSP allows no inline style.
  const canvas = ctx.el("canvas", { width: "56", height: "56", role: "img", "aria-label": description });
  const g = canvas.getContext("2d");
  const background = look.object_color === "white" ? PALETTE.black : "#e2e8f0";
  g.fillStyle = background;
  g.fillRect(0, 0, 56, 56);
  g.fillStyle = PALETTE[look.object_color] || "#888";
  const r = 20;
  g.beginPath();
  if (look.shape === "square") {
    g.rect(28 - r * 0.86, 28 - r * 0.86, r * 1.72, r * 1.72);
  } else if (look.shape === "triangle") {
    g.moveTo(28, 28 - r); g.lineTo(28 + r * 0.9, 28 + r * 0.6); g.lineTo(28 - r * 0.9, 28 + r * 0.6);
  } else if (look.shape === "star") {
    for (let i = 0; i < 10; i++) {
      const radius = i % 2 ? r * 0.45 : r;
      const angle = -Math.PI / 2 + (i * Math.PI) / 5;
      g.lineTo(28 + radius * Math.cos(angle), 28 + radius * Math.sin(angle));
    }
  } else {
    g.arc(28, 28, r, 0, 2 * Math.PI);
  }
  g.closePath();
  g.fill();
  return canvas;
}

function fillPicker() {
  const select = $("character");
  const current = select.value;
  const none = document.createElement("option");
  none.value = "";
  none.textContent = ctx ? ctx.t("compose.noCharacter") : "";
  const options = [none];
  for (const c of characters.values()) {
    const option = document.createElement("option");
    option.value = c.id;
    option.textContent = c.name;
    options.push(option);
  }
  select.replaceChildren(...options);
  select.value = characters.has(current) ? current : "";
  $("character-field").hidden = characters.size === 0;
}

async function createCharacter(event) {
  event.preventDefault();
  const error = $("character-error");
  error.hidden = true;
  const name = $("character-name").value.trim();
  const file = $("character-image").files[0];
  if (!name || !file) {
    ctx.showError(error, ctx.t("characters.missing"));
    (name ? $("character-image") : $("character-name")).focus();
    return;
  }
  const form = new FormData();
  form.append("name", name);
  form.append("image", file, file.name);
  if ($("character-consent").checked) form.append("likeness_consent", "true");
  const button = $("character-create");
  button.disabled = true;
  try {
    const created = await ctx.api("/v1/videos/characters", { method: "POST", form });
    characters.set(created.id, created);
    const ordered = [created, ...[...characters.values()].filter((c) => c.id !== created.id)];
    characters.clear();
    for (const c of ordered) characters.set(c.id, c);
    renderCharacters();
    $("character-name").value = "";
    $("character-image").value = "";
    $("character-consent").checked = false;
  } catch (err) {
    ctx.showError(error, err.message);
  } finally {
    button.disabled = false;
  }
}

async function deleteCharacter(id) {
  try {
    await ctx.api(`/v1/videos/characters/${id}`, { method: "DELETE" });
  } catch (err) {
    if (err.status !== 404) { ctx.showError($("character-error"), err.message); return; }
  }
  characters.delete(id);
  renderCharacters();
}
