// The studio's webhooks page: the signed-in user's endpoints (/v1/webhooks), a test delivery, the log.
// app.js hands over its helpers (api, t, el, showError) once, through mountWebhooks.
let ctx = null;
const $ = (id) => document.getElementById(id);
const EVENT_NAMES = ["video.completed", "video.failed", "batch.completed", "batch.failed"];
const endpoints = new Map(); // id -> {endpoint, li, deliveries (array or null), result (text or null)}

export function mountWebhooks(helpers) {
  ctx = helpers;
  $("webhook-form").addEventListener("submit", addEndpoint);
}

export async function loadWebhooks() {
  if (!ctx) return;
  try {
    const page = await ctx.api("/v1/webhooks?limit=100");
    endpoints.clear();
    for (const endpoint of page.data) endpoints.set(endpoint.id, { endpoint, deliveries: null, result: null });
  } catch (err) {
    ctx.showError($("webhook-error"), err.message);
  }
  renderWebhooks();
}

export function renderWebhooks() {
  if (!ctx) return;
  const list = $("webhooks");
  list.replaceChildren(...[...endpoints.values()].map(renderEndpoint));
  $("webhooks-empty").hidden = endpoints.size > 0;
}

function eventLabel(type) {
  return EVENT_NAMES.includes(type) ? ctx.t(`event.${type}`) : type;
}

function renderEndpoint(item) {
  const { t, el } = ctx;
  const e = item.endpoint;
  const children = [
    el("p", { class: "url", text: e.url }),
    el("p", { class: "meta", text: `${e.name} · ${e.event_types.map(eventLabel).join(", ")} · ${e.signing_secret_hint}` }),
    el("div", { class: "actions" }, [
      el("button", { type: "button", class: "test", text: t("webhooks.test"), onclick: () => sendTest(item) }),
      el("button", { type: "button", class: "secondary show-deliveries", text: t("webhooks.deliveries"),
                     onclick: () => loadDeliveries(item) }),
      el("button", { type: "button", class: "danger remove", text: t("action.delete"), onclick: () => removeEndpoint(item) }),
    ]),
  ];
  if (item.result) children.push(el("p", { class: `result ${item.resultClass || ""}`, role: "status", text: item.result }));
  if (item.deliveries) children.push(renderDeliveries(item));
  const li = el("li", { class: "endpoint" }, children);
  li.dataset.id = e.id;
  return li;
}

function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString(document.documentElement.lang) : "–";
}

function renderDeliveries(item) {
  const { t, el } = ctx;
  if (item.deliveries.length === 0) return el("p", { class: "help", text: t("webhooks.noDeliveries") });
  const head = el("tr", {}, ["webhooks.when", "webhooks.event", "webhooks.status", "webhooks.attempts", "webhooks.http", ""]
    .map((key) => el("th", { scope: "col", text: key ? t(key) : "" })));
  const rows = item.deliveries.map((d) => {
    const row = el("tr", {}, [
      el("td", { text: when(d.created_at) }),
      el("td", { text: eventLabel(d.event_type) }),
      el("td", { text: t(`delivery.${d.status}`) }),
      el("td", { text: String(d.attempts) }),
      el("td", { text: d.last_status_code ? String(d.last_status_code) : "–" }),
      el("td", {}, [el("button", { type: "button", class: "secondary redeliver", text: t("webhooks.redeliver"),
                                   onclick: () => redeliver(item, d) })]),
    ]);
    row.dataset.status = d.status;
    if (d.last_error) row.title = d.last_error;
    return row;
  });
  return el("table", { class: "deliveries" }, [el("thead", {}, [head]), el("tbody", {}, rows)]);
}

async function addEndpoint(event) {
  event.preventDefault();
  const { api, t, showError } = ctx;
  const error = $("webhook-error");
  error.hidden = true;
  const url = $("webhook-url").value.trim();
  const types = [...document.querySelectorAll("#webhook-form input[name=event]:checked")].map((i) => i.value);
  if (!url) { showError(error, t("webhooks.needUrl")); $("webhook-url").focus(); return; }
  if (types.length === 0) { showError(error, t("webhooks.needEvent")); return; }
  const button = $("webhook-add");
  button.disabled = true;
  try {
    const created = await api("/v1/webhooks", { method: "POST", json: { url, event_types: types } });
    $("webhook-secret-value").textContent = created.signing_secret;
    $("webhook-secret").hidden = false;
    $("webhook-url").value = "";
    await loadWebhooks();
  } catch (err) {
    showError(error, err.message);
  } finally {
    button.disabled = false;
  }
}

async function sendTest(item) {
  const { api, t } = ctx;
  const type = item.endpoint.event_types.find((e) => e.startsWith("video.")) || item.endpoint.event_types[0];
  try {
    const result = await api(`/v1/webhooks/${item.endpoint.id}/test`, { method: "POST", json: { event_type: type } });
    const ok = result.status_code >= 200 && result.status_code < 300;
    item.result = t(ok ? "webhooks.testOk" : "webhooks.testAnswered", { code: result.status_code });
    item.resultClass = ok ? "ok" : "error";
  } catch (err) {
    item.result = err.message;
    item.resultClass = "error";
  }
  if (item.deliveries) await fetchDeliveries(item);
  renderWebhooks();
}

async function fetchDeliveries(item) {
  const page = await ctx.api(`/v1/webhooks/${item.endpoint.id}/deliveries?limit=20`);
  item.deliveries = page.data;
}

async function loadDeliveries(item) {
  try {
    await fetchDeliveries(item);
  } catch (err) {
    item.result = err.message;
    item.resultClass = "error";
  }
  renderWebhooks();
}

async function redeliver(item, delivery) {
  try {
    await ctx.api(`/v1/webhooks/${item.endpoint.id}/deliveries/${delivery.id}/redeliver`, { method: "POST" });
    item.result = ctx.t("webhooks.redelivered");
    item.resultClass = "ok";
    await fetchDeliveries(item);
  } catch (err) {
    item.result = err.message;
    item.resultClass = "error";
  }
  renderWebhooks();
}

async function removeEndpoint(item) {
  if (!window.confirm(ctx.t("webhooks.confirmRemove", { url: item.endpoint.url }))) return;
  try {
    await ctx.api(`/v1/webhooks/${item.endpoint.id}`, { method: "DELETE" });
  } catch (err) {
    if (err.status !== 404) { ctx.showError($("webhook-error"), err.message); return; }
  }
  endpoints.delete(item.endpoint.id);
  renderWebhooks();
}
