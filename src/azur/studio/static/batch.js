// The studio's batch panel: a JSONL or CSV file of prompts becomes one /v1/batches batch, shown with its
// progress until it ends, then its output and error files can be downloaded.
//
// JSONL: lines in OpenAI's batch format ({"custom_id", "method", "url", "body"}) are sent as they are; plain
// objects ({"prompt": ..., "seconds": ...}) become /v1/videos requests. CSV: a header row naming the columns
// (prompt, and optionally seconds, size, style, seed, model, custom_id), or one prompt per line without a
// header. A request's missing options take the composer's current values.

const ACTIVE = new Set(["validating", "in_progress", "finalizing", "cancelling"]);
const OPTION_COLUMNS = ["seconds", "size", "style", "seed", "model"];

export class InputProblem extends Error {}

// RFC 4180: fields separated by commas, quoted with double quotes (a doubled quote inside is one quote),
// quoted fields may hold commas and line breaks.
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field); field = "";
      rows.push(row); row = [];
    } else field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  return rows.filter((r) => r.some((cell) => cell.trim() !== ""));
}

function requestLine(index, fields, defaults) {
  const body = { ...defaults };
  for (const [name, value] of Object.entries(fields)) {
    if (name === "custom_id" || value === "" || value === undefined || value === null) continue;
    body[name] = name === "seed" && /^\d+$/.test(String(value)) ? Number(value) : value;
  }
  if (typeof body.prompt !== "string" || !body.prompt.trim()) throw new InputProblem(`line ${index + 1}`);
  const customId = fields.custom_id ? String(fields.custom_id) : `request-${index + 1}`;
  return { custom_id: customId, method: "POST", url: "/v1/videos", body };
}

// The file's text as OpenAI batch JSONL; `defaults` are the composer's options. Throws InputProblem.
export function toBatchJsonl(name, text, defaults) {
  const lines = [];
  if (/\.jsonl?$/i.test(name) || text.trimStart().startsWith("{")) {
    text.split(/\r?\n/).forEach((raw, i) => {
      if (!raw.trim()) return;
      let item;
      try { item = JSON.parse(raw); } catch { throw new InputProblem(`line ${i + 1}`); }
      if (item && typeof item === "object" && "custom_id" in item && "body" in item) lines.push(item);
      else if (item && typeof item === "object") lines.push(requestLine(lines.length, item, defaults));
      else throw new InputProblem(`line ${i + 1}`);
    });
  } else {
    const rows = parseCsv(text);
    const header = rows.length ? rows[0].map((h) => h.trim().toLowerCase()) : [];
    const named = header.includes("prompt");
    const columns = named ? header : ["prompt"];
    for (const row of named ? rows.slice(1) : rows) {
      const fields = {};
      columns.forEach((column, i) => {
        if (column === "prompt" || column === "custom_id" || OPTION_COLUMNS.includes(column)) {
          fields[column] = (named ? row[i] ?? "" : row.join(",")).trim();
        }
      });
      lines.push(requestLine(lines.length, fields, defaults));
    }
  }
  if (!lines.length) throw new InputProblem("empty");
  return lines.map((line) => JSON.stringify(line)).join("\n") + "\n";
}

// The panel. `api` and `t` are the studio's; `defaults()` gives the composer's options; `onVideos()` is
// called when the batch has queued new videos, so the library can show them.
export function createBatchPanel({ api, t, defaults, onVideos, $ }) {
  const rows = new Map(); // batch id -> {li, batch}
  let polling = new Set();

  function render(entry) {
    const b = entry.batch;
    const counts = b.request_counts || { total: 0, completed: 0, failed: 0 };
    const done = counts.completed + counts.failed;
    const children = [
      Object.assign(document.createElement("span"), { className: `status batch-${b.status}`, textContent: t(`batch.status.${b.status}`) }),
      Object.assign(document.createElement("span"), {
        className: "batch-counts",
        textContent: t("batch.counts", { completed: counts.completed, failed: counts.failed, total: counts.total }),
      }),
    ];
    if (ACTIVE.has(b.status)) {
      const bar = document.createElement("progress");
      bar.max = Math.max(1, counts.total);
      bar.value = done;
      bar.setAttribute("aria-label", t("batch.progress"));
      children.push(bar);
    }
    const actions = document.createElement("span");
    actions.className = "batch-actions";
    if (ACTIVE.has(b.status) && b.status !== "cancelling") {
      actions.append(button(t("batch.cancel"), "secondary cancel", () => cancel(entry)));
    }
    if (b.output_file_id) actions.append(button(t("batch.output"), "secondary output", () => save(b.output_file_id, `${b.id}_output.jsonl`)));
    if (b.error_file_id) actions.append(button(t("batch.errors"), "secondary errors", () => save(b.error_file_id, `${b.id}_errors.jsonl`)));
    if (b.errors && b.errors.data && b.errors.data.length) {
      const first = b.errors.data[0];
      children.push(Object.assign(document.createElement("span"), { className: "error", textContent: first.message || first.code }));
    }
    children.push(actions);
    entry.li.replaceChildren(...children);
    entry.li.dataset.status = b.status;
  }

  function button(text, className, onclick) {
    const node = document.createElement("button");
    node.type = "button";
    node.className = className;
    node.textContent = text;
    node.addEventListener("click", onclick);
    return node;
  }

  async function save(fileId, filename) {
    const res = await api(`/v1/files/${fileId}/content`, { raw: true });
    const url = URL.createObjectURL(await res.blob());
    const a = Object.assign(document.createElement("a"), { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  async function cancel(entry) {
    try {
      entry.batch = await api(`/v1/batches/${entry.batch.id}/cancel`, { method: "POST" });
      render(entry);
    } catch (err) {
      showError(err.message);
    }
  }

  function add(batch, atTop) {
    let entry = rows.get(batch.id);
    if (!entry) {
      entry = { li: document.createElement("li"), batch, submitted: 0 };
      entry.li.className = "batch";
      entry.li.dataset.id = batch.id;
      rows.set(batch.id, entry);
      if (atTop) $("batches").prepend(entry.li); else $("batches").append(entry.li);
    }
    entry.batch = batch;
    render(entry);
    if (ACTIVE.has(batch.status)) poll(entry);
  }

  async function poll(entry) {
    const id = entry.batch.id;
    if (polling.has(id)) return;
    polling.add(id);
    while (polling.has(id)) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!polling.has(id)) break;
      try {
        entry.batch = await api(`/v1/batches/${id}`);
      } catch (err) {
        if (err.status === 401 || err.status === 404) break;
        continue;
      }
      render(entry);
      const counts = entry.batch.request_counts || { total: 0 };
      if (entry.batch.status !== "validating" && counts.total !== entry.submitted) {
        entry.submitted = counts.total;
        onVideos();
      }
      if (!ACTIVE.has(entry.batch.status)) {
        onVideos();
        break;
      }
    }
    polling.delete(id);
  }

  function showError(message) {
    const error = $("batch-error");
    error.textContent = message;
    error.hidden = !message;
  }

  async function submit(event) {
    event.preventDefault();
    showError("");
    const file = $("batch-file").files[0];
    if (!file) { showError(t("batch.noFile")); return; }
    let jsonl;
    try {
      jsonl = toBatchJsonl(file.name, await file.text(), defaults());
    } catch (err) {
      if (!(err instanceof InputProblem)) throw err;
      showError(t("batch.badFile", { where: err.message }));
      return;
    }
    const submitButton = $("batch-submit");
    submitButton.disabled = true;
    try {
      const form = new FormData();
      form.append("purpose", "batch");
      form.append("file", new Blob([jsonl], { type: "application/jsonl" }), file.name.replace(/\.[^.]*$/, "") + ".jsonl");
      const upload = await api("/v1/files", { method: "POST", form });
      const batch = await api("/v1/batches", {
        method: "POST",
        json: { input_file_id: upload.id, endpoint: "/v1/videos", completion_window: "24h" },
      });
      add(batch, true);
      $("batch-file").value = "";
    } catch (err) {
      showError(err.message);
    } finally {
      submitButton.disabled = false;
    }
  }

  return {
    init() {
      $("batch-form").addEventListener("submit", submit);
    },
    async load() {
      const page = await api("/v1/batches?limit=5");
      for (const batch of page.data) add(batch, false);
    },
    clear() {
      polling = new Set();
      rows.clear();
      $("batches").replaceChildren();
      showError("");
    },
    rerender() {
      for (const entry of rows.values()) render(entry);
    },
  };
}
