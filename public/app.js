// Hookwing console: plain JS over the management API. The admin token lives in session
// storage only. Every value from the API is inserted as text, never as HTML.
"use strict";

const TOKEN_KEY = "hookwing.adminToken";
const main = document.getElementById("main");
const signOut = document.getElementById("sign-out");
let catalog = null;

// ---------- small helpers ----------
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
function toast(text) {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 2500);
}
function show(...nodes) {
  main.replaceChildren(...nodes);
  main.focus();
}
const time = (ms) => (ms ? new Date(ms).toLocaleString() : "—");
const token = () => sessionStorage.getItem(TOKEN_KEY);

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}
async function api(method, path, body) {
  const init = { method, headers: { authorization: `Bearer ${token()}` } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {}
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    signIn("Your session ended or the token is wrong. Sign in again.");
    throw new ApiError(401, json);
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}
async function getCatalog() {
  if (!catalog) catalog = await (await fetch("/api/events/catalog")).json();
  return catalog;
}

// ---------- sign in ----------
function signIn(message) {
  signOut.hidden = true;
  const input = h("input", { type: "password", id: "token", name: "token", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", id: "token-error", role: "alert" }, message || "");
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (e) => {
        e.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        try {
          await api("GET", "/api/hooks?page=1&page_size=1");
          route();
        } catch (err) {
          if (err.status !== 401) error.textContent = `Could not sign in: ${err.message}`;
        }
      },
    },
    h("h1", {}, "Sign in"),
    h("p", { class: "muted" }, "Paste the Worker's ADMIN_TOKEN. It is kept in this tab's session storage only."),
    h("label", { for: "token" }, "Admin token"),
    input,
    error,
    h("p", {}, h("button", { type: "submit" }, "Sign in")),
  );
  show(form);
  input.focus();
}
signOut.addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  signIn("Signed out.");
});

// ---------- hooks list ----------
async function list() {
  const hooks = await api("GET", "/api/hooks?includeExecutionStats=true");
  const rows = hooks.map((hk) => {
    const s = hk.executionStats || { requestCount: 0, successCount: 0 };
    const rate = s.requestCount ? `${Math.round((100 * s.successCount) / s.requestCount)}%` : "—";
    return h(
      "tr",
      { "data-hook": hk.id },
      h("td", { "data-label": "Name" }, h("a", { href: `#/hooks/${hk.id}` }, hk.name || "(unnamed)")),
      h("td", { "data-label": "URL", class: "key" }, hk.config.url),
      h("td", { "data-label": "Events" }, (hk.events.length ? hk.events : [hk.event]).filter(Boolean).join(", ")),
      h("td", { "data-label": "Requests (24h)" }, s.requestCount),
      h("td", { "data-label": "Success rate (24h)" }, rate),
      h(
        "td",
        { "data-label": "Status" },
        hk.enabled ? h("span", { class: "badge ok" }, "Enabled") : h("span", { class: "badge bad" }, "Disabled"),
        hk.disabledReason ? h("div", { class: "muted" }, hk.disabledReason) : null,
      ),
    );
  });
  show(
    h("div", { class: "row" }, h("h1", { class: "grow" }, "Hooks"), h("a", { href: "#/new" }, h("button", { type: "button", tabindex: "-1" }, "Create hook"))),
    hooks.length
      ? h(
          "table",
          { class: "table card", id: "hooks" },
          h("thead", {}, h("tr", {}, ...["Name", "URL", "Events", "Requests (24h)", "Success rate (24h)", "Status"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows),
        )
      : h("div", { class: "card empty" }, "No hooks yet. ", h("a", { href: "#/new" }, "Create the first one"), "."),
  );
}

// ---------- create / edit ----------
async function form(id) {
  const [cat, hook] = await Promise.all([getCatalog(), id ? api("GET", `/api/hooks/${id}`) : null]);
  const selected = new Set(hook ? (hook.events.length ? hook.events : [hook.event]) : []);
  const errors = {};
  const field = (name, label, input, hint) => {
    errors[name] = h("div", { class: "error", id: `${name}-error`, role: "alert" });
    input.setAttribute("aria-describedby", `${name}-error`);
    return h("div", {}, h("label", { for: input.id }, label), hint ? h("div", { class: "muted" }, hint) : null, input, errors[name]);
  };
  const name = h("input", { type: "text", id: "name", value: hook?.name || "", maxlength: "256" });
  const url = h("input", { type: "url", id: "url", required: true, value: hook?.config.url || "", placeholder: "https://example.com/webhook" });
  const retries = h("input", { type: "number", id: "retries", min: "0", max: "10", value: hook?.config.retries ?? "" });
  const timeout = h("input", { type: "number", id: "timeoutMs", min: "1000", max: "30000", step: "500", value: hook?.config.timeoutMs ?? "" });
  const enabled = h("input", { type: "checkbox", id: "enabled", checked: hook ? hook.enabled : true });
  const groups = ["interaction", "data", "exception"].map((category) =>
    h(
      "fieldset",
      { class: "events" },
      h("legend", {}, { interaction: "Interaction", data: "Data", exception: "Exception" }[category]),
      cat.filter((e) => e.category === category).map((e) =>
        h("label", {}, h("input", { type: "checkbox", name: "events", value: e.event, checked: selected.has(e.event) }), e.event),
      ),
    ),
  );
  errors.events = h("div", { class: "error", id: "events-error", role: "alert" });
  const headerRows = h("div", { id: "headers" });
  const addHeader = (k = "", v = "") => {
    const row = h(
      "div",
      { class: "row header-row" },
      h("input", { type: "text", class: "grow", "aria-label": "Header name", value: k, placeholder: "x-api-key" }),
      h("input", { type: "text", class: "grow", "aria-label": "Header value", value: v }),
      h("button", { type: "button", class: "danger", onclick: () => row.remove() }, "Remove"),
    );
    headerRows.append(row);
  };
  for (const [k, v] of Object.entries(hook?.config.headers || {})) addHeader(k, v);
  errors.headers = h("div", { class: "error", id: "headers-error", role: "alert" });
  const formError = h("p", { class: "error", role: "alert" });

  const submit = async (e) => {
    e.preventDefault();
    Object.values(errors).forEach((el) => (el.textContent = ""));
    formError.textContent = "";
    const config = { url: url.value.trim() };
    const headers = Object.fromEntries(
      [...headerRows.querySelectorAll(".header-row")].map((r) => [...r.querySelectorAll("input")].map((i) => i.value)).filter(([k]) => k.trim()),
    );
    if (Object.keys(headers).length) config.headers = headers;
    if (retries.value !== "") config.retries = Number(retries.value);
    if (timeout.value !== "") config.timeoutMs = Number(timeout.value);
    const events = [...main.querySelectorAll("input[name=events]:checked")].map((i) => i.value);
    const body = { config, enabled: enabled.checked };
    if (name.value.trim()) body.name = name.value.trim();
    if (events.length || !id) body.events = events;
    try {
      if (!events.length) throw new ApiError(400, { code: "hook.missing_events", message: "Choose at least one event." });
      const saved = await api(id ? "PATCH" : "POST", id ? `/api/hooks/${id}` : "/api/hooks", body);
      toast(id ? "Hook saved." : "Hook created.");
      location.hash = `#/hooks/${saved.id}`;
    } catch (err) {
      if (err.status === 401) return;
      const path = err.body?.details?.[0]?.path || "";
      const target =
        err.body?.code === "hook.missing_events" || path.startsWith("events") ? errors.events
        : path.startsWith("config.headers") ? errors.headers
        : path === "config.url" ? errors.url
        : path === "config.retries" ? errors.retries
        : path === "config.timeoutMs" ? errors.timeoutMs
        : path === "name" ? errors.name
        : formError;
      target.textContent = err.body?.details?.[0]?.message || err.message;
    }
  };
  show(
    h(
      "form",
      { class: "card", onsubmit: submit, novalidate: true },
      h("h1", {}, id ? `Edit ${hook.name || "hook"}` : "Create hook"),
      field("name", "Name", name),
      field("url", "Endpoint URL", url, "Where Hookwing POSTs the events."),
      h("label", {}, "Events"),
      groups,
      errors.events,
      h("label", {}, "Custom headers"),
      headerRows,
      h("button", { type: "button", class: "secondary", onclick: () => addHeader() }, "Add header"),
      errors.headers,
      h("div", { class: "row" }, h("div", { class: "grow" }, field("retries", "Retries (0–10)", retries)), h("div", { class: "grow" }, field("timeoutMs", "Timeout (ms, 1000–30000)", timeout))),
      h("label", { class: "row" }, enabled, "Enabled"),
      formError,
      h("p", { class: "row" }, h("button", { type: "submit" }, id ? "Save" : "Create hook"), h("a", { href: id ? `#/hooks/${id}` : "#/" }, "Cancel")),
    ),
  );
  name.focus();
}

// ---------- details ----------
async function details(id) {
  const [hook, cat] = await Promise.all([api("GET", `/api/hooks/${id}?includeExecutionStats=true`), getCatalog()]);
  const s = hook.executionStats;
  const keyText = h("code", { class: "key", id: "signing-key" }, "•".repeat(32));
  let revealed = false;
  const grace = h("select", { id: "grace" }, [["0", "none"], ["3600", "1 hour"], ["86400", "24 hours"], ["604800", "7 days"]].map(([v, t]) => h("option", { value: v }, t)));
  const testEvent = h("select", { id: "test-event" }, (hook.events.length ? hook.events : [hook.event]).filter(Boolean).concat(cat.map((e) => e.event)).filter((v, i, a) => a.indexOf(v) === i).map((e) => h("option", { value: e }, e)));
  const testResult = h("p", { id: "test-result", role: "status" });
  const logs = h("div", { id: "logs" }, h("p", { class: "muted" }, "Loading…"));
  const deliveries = h("div", { id: "deliveries" }, h("p", { class: "muted" }, "Loading…"));
  const statusFilter = h("select", { id: "status-filter", onchange: () => loadDeliveries() }, ["", "failed", "retrying", "succeeded"].map((v) => h("option", { value: v }, v || "all")));
  const since = h("input", { type: "datetime-local", id: "recover-since" });
  const recoverResult = h("p", { role: "status", id: "recover-result" });

  async function loadLogs() {
    const entries = await api("GET", `/api/hooks/${id}/recent-logs?page_size=50`);
    logs.replaceChildren(
      entries.length
        ? h(
            "table",
            { class: "table" },
            h("thead", {}, h("tr", {}, ...["Time", "Event", "Result", "Status", "Request / response"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              entries.map((e) =>
                h(
                  "tr",
                  { class: "log-row" },
                  h("td", { "data-label": "Time" }, time(e.createdAt)),
                  h("td", { "data-label": "Event" }, e.key.replace(/^TriggerHook\./, "")),
                  h("td", { "data-label": "Result" }, h("span", { class: `badge ${e.payload.result === "Success" ? "ok" : "bad"}` }, e.payload.result)),
                  h("td", { "data-label": "Status" }, e.payload.response?.statusCode ?? e.payload.error ?? "—"),
                  h(
                    "td",
                    { "data-label": "Details" },
                    h("details", {}, h("summary", {}, "Show"), h("div", { class: "muted" }, "Request body"), h("pre", {}, JSON.stringify(e.payload.hookRequest.body, null, 2)),
                      e.payload.response ? [h("div", { class: "muted" }, "Response body"), h("pre", {}, typeof e.payload.response.body === "string" ? e.payload.response.body : JSON.stringify(e.payload.response.body, null, 2))] : null,
                      e.payload.error ? h("div", { class: "error" }, e.payload.error) : null),
                  ),
                ),
              ),
            ),
          )
        : h("p", { class: "empty" }, "No requests in the last 24 hours."),
    );
  }
  async function loadDeliveries() {
    const q = statusFilter.value ? `&status=${statusFilter.value}` : "";
    const list = await api("GET", `/api/hooks/${id}/deliveries?page_size=50${q}`);
    deliveries.replaceChildren(
      list.length
        ? h(
            "table",
            { class: "table" },
            h("thead", {}, h("tr", {}, ...["Created", "Event", "Status", "Attempts", "Last error", ""].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              list.map((d) =>
                h(
                  "tr",
                  { class: "delivery-row", "data-delivery": d.id },
                  h("td", { "data-label": "Created" }, time(d.createdAt)),
                  h("td", { "data-label": "Event" }, d.event),
                  h("td", { "data-label": "Status" }, h("span", { class: `badge ${d.status === "succeeded" ? "ok" : d.status === "failed" ? "bad" : "warn"}` }, d.status)),
                  h("td", { "data-label": "Attempts" }, d.attemptCount),
                  h("td", { "data-label": "Last error" }, d.lastError || "—"),
                  h(
                    "td",
                    {},
                    d.status === "failed"
                      ? h("button", { type: "button", class: "secondary", onclick: async (e) => {
                          e.target.disabled = true;
                          const r = await api("POST", `/api/deliveries/${d.id}/retry`);
                          toast(`Retry queued (attempt ${r.attempt}).`);
                          setTimeout(() => Promise.all([loadDeliveries(), loadLogs()]), 1500);
                        } }, "Retry")
                      : null,
                  ),
                ),
              ),
            ),
          )
        : h("p", { class: "empty" }, "No deliveries."),
    );
  }

  show(
    h("div", { class: "row" }, h("h1", { class: "grow" }, hook.name || "(unnamed hook)"), h("a", { href: `#/hooks/${id}/edit` }, "Edit")),
    h(
      "section",
      { class: "card", "aria-labelledby": "settings-h" },
      h("h2", { id: "settings-h" }, "Settings"),
      h("p", {}, "URL: ", h("code", { class: "key" }, hook.config.url)),
      h("p", {}, "Events: ", (hook.events.length ? hook.events : [hook.event]).filter(Boolean).join(", ")),
      h("p", {}, "Requests (24h): ", s.requestCount, " · Success rate (24h): ", s.requestCount ? `${Math.round((100 * s.successCount) / s.requestCount)}%` : "—"),
      h("p", {}, "Status: ", hook.enabled ? h("span", { class: "badge ok" }, "Enabled") : h("span", { class: "badge bad" }, "Disabled"), hook.disabledReason ? ` — ${hook.disabledReason}` : ""),
      h(
        "p",
        { class: "row" },
        h("button", { type: "button", class: "secondary", id: "toggle", onclick: async () => {
          await api("PATCH", `/api/hooks/${id}`, { enabled: !hook.enabled });
          toast(hook.enabled ? "Hook disabled." : "Hook enabled.");
          details(id);
        } }, hook.enabled ? "Disable" : "Enable"),
        h("button", { type: "button", class: "danger", onclick: async () => {
          if (!confirm("Delete this hook? Pending deliveries are dropped.")) return;
          await api("DELETE", `/api/hooks/${id}`);
          toast("Hook deleted.");
          location.hash = "#/";
        } }, "Delete"),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "key-h" },
      h("h2", { id: "key-h" }, "Signing key"),
      h("p", {}, keyText),
      h(
        "p",
        { class: "row" },
        h("button", { type: "button", class: "secondary", onclick: (e) => {
          revealed = !revealed;
          keyText.textContent = revealed ? hook.signingKey : "•".repeat(32);
          e.target.textContent = revealed ? "Hide" : "Show";
        } }, "Show"),
        h("button", { type: "button", class: "secondary", onclick: async () => {
          await navigator.clipboard.writeText(hook.signingKey).then(() => toast("Signing key copied."), () => toast("Copy failed: select the key and copy it."));
        } }, "Copy"),
      ),
      h("p", { class: "muted" }, "Standard Webhooks secret: ", h("code", { class: "key" }, hook.signingSecret.slice(0, 10) + "…")),
      h("label", { for: "grace" }, "Keep the old key signing for"),
      grace,
      h("p", {}, h("button", { type: "button", id: "regenerate", onclick: async () => {
        if (!confirm("Generate a new signing key?")) return;
        await api("PATCH", `/api/hooks/${id}/signing-key`, { gracePeriodSeconds: Number(grace.value) });
        toast("New signing key generated.");
        details(id);
      } }, "Regenerate key")),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "test-h" },
      h("h2", { id: "test-h" }, "Send a test"),
      h("label", { for: "test-event" }, "Event"),
      testEvent,
      h("p", {}, h("button", { type: "button", id: "send-test", onclick: async (e) => {
        e.target.disabled = true;
        testResult.textContent = "Sending…";
        try {
          await api("POST", `/api/hooks/${id}/test`, { events: [testEvent.value], config: hook.config });
          testResult.className = "ok";
          testResult.textContent = "Test delivered: the endpoint answered 2xx.";
        } catch (err) {
          testResult.className = "bad";
          const d = err.body?.data;
          testResult.textContent = d ? `Endpoint answered ${d.responseStatus}: ${d.responseBody}` : err.message;
        } finally {
          e.target.disabled = false;
        }
      } }, "Send test")),
      testResult,
    ),
    h("section", { class: "card", "aria-labelledby": "logs-h" }, h("div", { class: "row" }, h("h2", { id: "logs-h", class: "grow" }, "Recent requests (24h)"), h("button", { type: "button", class: "secondary", id: "refresh-logs", onclick: () => loadLogs() }, "Refresh")), logs),
    h(
      "section",
      { class: "card", "aria-labelledby": "deliveries-h" },
      h("div", { class: "row" }, h("h2", { id: "deliveries-h", class: "grow" }, "Deliveries"), h("label", { for: "status-filter" }, "Status"), statusFilter),
      deliveries,
      h("label", { for: "recover-since" }, "Recover failed deliveries since"),
      h("div", { class: "row" }, h("div", { class: "grow" }, since), h("button", { type: "button", class: "secondary", id: "recover", onclick: async () => {
        if (!since.value) return (recoverResult.textContent = "Choose a time first.");
        const r = await api("POST", `/api/hooks/${id}/recover`, { since: new Date(since.value).toISOString() });
        recoverResult.textContent = `${r.count} failed deliveries queued again.`;
        setTimeout(() => loadDeliveries(), 1500);
      } }, "Recover")),
      recoverResult,
    ),
  );
  await Promise.all([loadLogs(), loadDeliveries()]);
}

// ---------- router ----------
async function route() {
  if (!token()) return signIn();
  signOut.hidden = false;
  const hash = location.hash.replace(/^#/, "") || "/";
  try {
    let m;
    if (hash === "/") await list();
    else if (hash === "/new") await form();
    else if ((m = hash.match(/^\/hooks\/([0-9a-z]+)\/edit$/))) await form(m[1]);
    else if ((m = hash.match(/^\/hooks\/([0-9a-z]+)$/))) await details(m[1]);
    else show(h("div", { class: "card empty" }, "Nothing here. ", h("a", { href: "#/" }, "Back to hooks"), "."));
  } catch (err) {
    if (err.status === 401) return;
    show(h("div", { class: "card" }, h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, err.message), h("a", { href: "#/" }, "Back to hooks")));
  }
}
window.addEventListener("hashchange", route);
route();
