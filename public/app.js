// Hookwing console: plain JS over the management API. The admin token lives in session
// storage only. Every value from the API is inserted as text, never as HTML.
//
// Two modes. Operator: signed in with ADMIN_TOKEN, a tenant switcher scopes every hook,
// delivery and log call with the `hookwing-tenant` header, and a Tenants view administers
// tenants. Portal: opened from `/#portal=<token>` (a tenant's short-lived `manage` token); the
// token moves from the fragment to session storage and out of the address bar at once, calls
// carry it as the bearer with no tenant header, and there is no tenant administration.
"use strict";

const TOKEN_KEY = "hookwing.adminToken";
const PORTAL_KEY = "hookwing.portalToken"; // "" once the API refused the portal token
const PORTAL_TENANT_KEY = "hookwing.portalTenant";
const TENANT_KEY = "hookwing.tenant";
const main = document.getElementById("main");
const signOut = document.getElementById("sign-out");
const bar = document.querySelector("header.bar");
const nav = bar.querySelector("nav");
const tenantsLink = document.getElementById("tenants-link");
const switchBox = document.getElementById("tenant-switch");
const tenantSelect = document.getElementById("tenant");
const banner = document.getElementById("portal-banner");
let catalog = null;
let tenantsCache = null;

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
const portalMode = () => sessionStorage.getItem(PORTAL_KEY) !== null;
const token = () => sessionStorage.getItem(portalMode() ? PORTAL_KEY : TOKEN_KEY);
const currentTenant = () => sessionStorage.getItem(TENANT_KEY) || "default";
// Tenant tokens read `hwk_<tenantId>_<random>`; tenant ids have no `_`.
const tenantOfToken = (t) => /^hwk_([a-z0-9][a-z0-9-]{0,62})_/.exec(t || "")?.[1] || null;

/** Copies `value`; when the clipboard is refused, selects `el`'s text for a manual copy. */
async function copyText(value, el, what) {
  try {
    if (!navigator.clipboard) throw new Error("no clipboard");
    await navigator.clipboard.writeText(value);
    toast(`${what} copied.`);
  } catch {
    if (el instanceof HTMLInputElement) {
      el.focus();
      el.select();
    } else {
      const range = document.createRange();
      range.selectNodeContents(el);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
    toast(`Copy was blocked: the ${what.toLowerCase()} is selected, press Ctrl+C (⌘C).`);
  }
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}
/**
 * One API call. Operator calls outside `/api/tenants` name the chosen tenant in
 * `hookwing-tenant` (`{ tenant: false }` leaves it out); portal calls never do: the portal
 * token is its tenant.
 */
async function api(method, path, body, { tenant = true } = {}) {
  const portal = portalMode();
  const init = { method, headers: { authorization: `Bearer ${token()}` } };
  if (!portal && tenant && !path.startsWith("/api/tenants")) init.headers["hookwing-tenant"] = currentTenant();
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
    if (portal) {
      sessionStorage.setItem(PORTAL_KEY, "");
      portalEnded();
    } else {
      sessionStorage.removeItem(TOKEN_KEY);
      signIn("Your session ended or the token is wrong. Sign in again.");
    }
    throw new ApiError(401, json);
  }
  if (res.status === 404 && json?.code === "tenant.not_found" && init.headers["hookwing-tenant"]) {
    // The chosen tenant was deleted meanwhile: back to `default` on the next view.
    sessionStorage.removeItem(TENANT_KEY);
    tenantsCache = null;
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}
/** Wraps an event handler: API errors go to `errorEl` (or a toast) instead of being lost. */
const act = (fn, errorEl) => async (e) => {
  if (errorEl) errorEl.textContent = "";
  try {
    await fn(e);
  } catch (err) {
    if (err.status === 401) return;
    const text = err.body?.details?.[0]?.message || err.message;
    if (errorEl) errorEl.textContent = text;
    else toast(text);
  }
};
async function getCatalog() {
  if (!catalog) catalog = await (await fetch("/api/events/catalog")).json();
  return catalog;
}

// ---------- modes and header ----------
/** A `#portal=<token>` fragment becomes the portal session, and leaves the address bar at once. */
function takePortalFromHash() {
  if (!location.hash.startsWith("#portal=")) return;
  let value = location.hash.slice("#portal=".length);
  try {
    value = decodeURIComponent(value);
  } catch {}
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
  value = value.trim();
  sessionStorage.setItem(PORTAL_KEY, value);
  const tenantId = tenantOfToken(value);
  if (tenantId) sessionStorage.setItem(PORTAL_TENANT_KEY, tenantId);
  else sessionStorage.removeItem(PORTAL_TENANT_KEY);
}
/** Header for the current mode; `view` is "hooks", "tenants" or "ended". */
function chrome(view) {
  const portal = portalMode();
  signOut.hidden = false;
  signOut.textContent = portal ? "Leave portal" : "Sign out";
  banner.hidden = !portal;
  if (portal) {
    banner.textContent = `Portal — ${sessionStorage.getItem(PORTAL_TENANT_KEY) || "unknown tenant"}`;
    tenantsLink.remove();
    switchBox.remove();
  } else {
    if (!tenantsLink.isConnected) nav.insertBefore(tenantsLink, signOut);
    if (!switchBox.isConnected) bar.insertBefore(switchBox, nav);
    tenantsLink.hidden = false;
    switchBox.hidden = view !== "hooks";
  }
}
function portalEnded() {
  chrome("ended");
  show(
    h(
      "div",
      { class: "card", id: "portal-ended" },
      h("h1", {}, "This portal link has expired or was revoked"),
      h("p", {}, "Ask whoever sent it for a new link. Nothing more can be done with this one."),
    ),
  );
}

// ---------- tenant switcher (operator) ----------
async function loadTenants(fresh) {
  if (!tenantsCache || fresh) tenantsCache = await api("GET", "/api/tenants");
  return tenantsCache;
}
async function fillSwitcher() {
  let tenants;
  try {
    tenants = await loadTenants();
  } catch (err) {
    if (err.status === 401) throw err;
    switchBox.hidden = true;
    return;
  }
  if (!tenants.some((t) => t.id === currentTenant())) sessionStorage.removeItem(TENANT_KEY);
  tenantSelect.replaceChildren(...tenants.map((t) => h("option", { value: t.id }, t.name === t.id ? t.id : `${t.name} (${t.id})`)));
  tenantSelect.value = currentTenant();
}
tenantSelect.addEventListener("change", () => {
  sessionStorage.setItem(TENANT_KEY, tenantSelect.value);
  if (location.hash === "#/") route();
  else location.hash = "#/";
});

// ---------- sign in ----------
function signIn(message) {
  signOut.hidden = true;
  banner.hidden = true;
  tenantsLink.hidden = true;
  switchBox.hidden = true;
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
          await api("GET", "/api/hooks?page=1&page_size=1", undefined, { tenant: false });
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
  if (portalMode()) {
    sessionStorage.removeItem(PORTAL_KEY);
    sessionStorage.removeItem(PORTAL_TENANT_KEY);
    if (sessionStorage.getItem(TOKEN_KEY)) return route();
    signOut.hidden = true;
    banner.hidden = true;
    show(h("div", { class: "card" }, h("h1", {}, "You left the portal"), h("p", {}, "Open a new portal link to come back.")));
    return;
  }
  sessionStorage.removeItem(TOKEN_KEY);
  signIn("Signed out.");
});

// ---------- hooks list ----------
async function list() {
  const forTenant = portalMode() ? sessionStorage.getItem(PORTAL_TENANT_KEY) : currentTenant();
  const hooks = await api("GET", "/api/hooks?includeExecutionStats=true");
  // A quicker switch to another tenant already rendered its own list.
  if (!portalMode() && forTenant !== currentTenant()) return;
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
        hk.paused ? h("span", { class: "badge warn" }, "Paused") : null,
        hk.disabledReason ? h("div", { class: "muted" }, hk.disabledReason) : null,
      ),
    );
  });
  show(
    h("div", { class: "row" }, h("h1", { class: "grow" }, "Hooks"), h("a", { href: "#/new" }, h("button", { type: "button", tabindex: "-1" }, "Create hook"))),
    hooks.length
      ? h(
          "table",
          { class: "table card", id: "hooks", "data-tenant": forTenant },
          h("thead", {}, h("tr", {}, ...["Name", "URL", "Events", "Requests (24h)", "Success rate (24h)", "Status"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows),
        )
      : h("div", { class: "card empty", id: "no-hooks", "data-tenant": forTenant }, "No hooks yet. ", h("a", { href: "#/new" }, "Create the first one"), "."),
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
  const perSecond = h("input", { type: "number", id: "perSecond", min: "1", max: "1000", value: hook?.config.rateLimit?.perSecond ?? "" });
  const maxInFlight = h("input", { type: "number", id: "maxInFlight", min: "1", max: "100", value: hook?.config.maxInFlight ?? "" });
  const enabled = h("input", { type: "checkbox", id: "enabled", checked: hook ? hook.enabled : true });
  const groups = ["interaction", "data", "exception", "operational"].map((category) =>
    h(
      "fieldset",
      { class: "events" },
      h("legend", {}, { interaction: "Interaction", data: "Data", exception: "Exception", operational: "Operational (Hookwing's own: disabled hooks, exhausted deliveries, recoveries)" }[category]),
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
    if (perSecond.value !== "") config.rateLimit = { perSecond: Number(perSecond.value) };
    if (maxInFlight.value !== "") config.maxInFlight = Number(maxInFlight.value);
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
        : path.startsWith("config.rateLimit") ? errors.perSecond
        : path === "config.maxInFlight" ? errors.maxInFlight
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
      h("div", { class: "row" }, h("div", { class: "grow" }, field("perSecond", "Rate limit (attempts per second, 1–1000)", perSecond)), h("div", { class: "grow" }, field("maxInFlight", "Max in flight (1–100)", maxInFlight))),
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
  const statusFilter = h("select", { id: "status-filter", onchange: () => loadDeliveries() }, ["", "failed", "retrying", "succeeded", "held", "pending"].map((v) => h("option", { value: v }, v || "all")));
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
      hook.config.rateLimit || hook.config.maxInFlight
        ? h("p", { id: "limits" }, "Limits: ", [
          hook.config.rateLimit ? `at most ${hook.config.rateLimit.perSecond} attempt(s) per second` : null,
          hook.config.maxInFlight ? `at most ${hook.config.maxInFlight} at once` : null,
        ].filter(Boolean).join(" · "))
        : null,
      h("p", {}, "Requests (24h): ", s.requestCount, " · Success rate (24h): ", s.requestCount ? `${Math.round((100 * s.successCount) / s.requestCount)}%` : "—"),
      h("p", {}, "Status: ", hook.enabled ? h("span", { class: "badge ok" }, "Enabled") : h("span", { class: "badge bad" }, "Disabled"),
        hook.paused ? [" ", h("span", { class: "badge warn" }, "Paused"), " — deliveries are held until you resume"] : "",
        hook.disabledReason ? ` — ${hook.disabledReason}` : ""),
      h(
        "p",
        { class: "row" },
        h("button", { type: "button", class: "secondary", id: "toggle", onclick: async () => {
          await api("PATCH", `/api/hooks/${id}`, { enabled: !hook.enabled });
          toast(hook.enabled ? "Hook disabled." : "Hook enabled.");
          details(id);
        } }, hook.enabled ? "Disable" : "Enable"),
        h("button", { type: "button", class: "secondary", id: "pause", onclick: async () => {
          await api("POST", `/api/hooks/${id}/${hook.paused ? "resume" : "pause"}`);
          toast(hook.paused ? "Hook resumed: held deliveries are being sent." : "Hook paused: deliveries are held.");
          details(id);
        } }, hook.paused ? "Resume" : "Pause"),
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

// ---------- tenants (operator only) ----------
const errorFor = (id) => h("div", { class: "error", id, role: "alert" });
const detailPath = (err) => String(err.body?.details?.[0]?.path || "");

async function tenantsView() {
  const tenants = await loadTenants(true);
  const name = h("input", { type: "text", id: "new-tenant-name", required: true, maxlength: "128", "aria-describedby": "new-tenant-name-error" });
  const id = h("input", {
    type: "text", id: "new-tenant-id", maxlength: "63", autocomplete: "off", spellcheck: "false", placeholder: "generated when empty",
    "aria-describedby": "new-tenant-id-hint new-tenant-id-error",
  });
  const nameError = errorFor("new-tenant-name-error");
  const idError = errorFor("new-tenant-id-error");
  const formError = h("p", { class: "error", role: "alert" });
  const submit = async (e) => {
    e.preventDefault();
    for (const el of [nameError, idError, formError]) el.textContent = "";
    const body = { name: name.value.trim() };
    if (id.value.trim()) body.id = id.value.trim();
    try {
      const created = await api("POST", "/api/tenants", body);
      tenantsCache = null;
      toast(`Tenant ${created.id} created.`);
      location.hash = `#/tenants/${created.id}`;
    } catch (err) {
      if (err.status === 401) return;
      const code = err.body?.code;
      const path = detailPath(err);
      const target = code === "tenant.already_exists" || /(^|[./])id$/.test(path) ? idError : /(^|[./])name$/.test(path) ? nameError : formError;
      target.textContent = code === "tenant.already_exists" ? "A tenant with this ID already exists." : err.body?.details?.[0]?.message || err.message;
    }
  };
  show(
    h("h1", {}, "Tenants"),
    h(
      "table",
      { class: "table card", id: "tenants" },
      h("thead", {}, h("tr", {}, ...["Name", "ID", "Created", "Relay key"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        tenants.map((t) =>
          h(
            "tr",
            { "data-tenant-row": t.id },
            h("td", { "data-label": "Name" }, h("a", { href: `#/tenants/${t.id}` }, t.name)),
            h("td", { "data-label": "ID", class: "key" }, h("code", {}, t.id)),
            h("td", { "data-label": "Created" }, time(t.createdAt)),
            h("td", { "data-label": "Relay key" }, t.relayKeySet ? h("span", { class: "badge ok" }, "Set") : h("span", { class: "muted" }, "Not set")),
          ),
        ),
      ),
    ),
    h(
      "form",
      { class: "card", onsubmit: submit, novalidate: true, "aria-labelledby": "new-tenant-h" },
      h("h2", { id: "new-tenant-h" }, "Create tenant"),
      h("label", { for: "new-tenant-name" }, "Tenant name"),
      name,
      nameError,
      h("label", { for: "new-tenant-id" }, "Tenant ID (optional)"),
      h("div", { class: "muted", id: "new-tenant-id-hint" }, "Lowercase letters, digits and “-”, up to 63 characters. It cannot change later."),
      id,
      idError,
      formError,
      h("p", {}, h("button", { type: "submit" }, "Create tenant")),
    ),
  );
}

async function tenantView(id) {
  const t = await api("GET", `/api/tenants/${id}`);
  const title = h("h1", { class: "grow" }, t.name);

  // Name and deletion.
  const rename = h("input", { type: "text", id: "tenant-rename", value: t.name, required: true, maxlength: "128", "aria-describedby": "tenant-rename-error" });
  const renameError = errorFor("tenant-rename-error");
  const renameForm = h(
    "form",
    {
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        return act(async () => {
          const saved = await api("PATCH", `/api/tenants/${t.id}`, { name: rename.value.trim() });
          t.name = saved.name;
          title.textContent = saved.name;
          tenantsCache = null;
          toast("Tenant renamed.");
        }, renameError)();
      },
    },
    h("label", { for: "tenant-rename" }, "Tenant name"),
    h("div", { class: "row" }, h("div", { class: "grow" }, rename), h("button", { type: "submit", class: "secondary" }, "Rename")),
    renameError,
  );
  const deletion =
    t.id === "default"
      ? h("p", { class: "muted", id: "default-permanent" }, "The default tenant is permanent: it serves every request that names no tenant.")
      : h("p", {}, h("button", { type: "button", class: "danger", id: "delete-tenant", onclick: act(async () => {
          if (!confirm(`Delete tenant ${t.id}? Its hooks stop receiving at once; its hooks, deliveries, logs and tokens are purged.`)) return;
          await api("DELETE", `/api/tenants/${t.id}`);
          if (currentTenant() === t.id) sessionStorage.removeItem(TENANT_KEY);
          tenantsCache = null;
          toast(`Tenant ${t.id} deleted.`);
          location.hash = "#/tenants";
        }) }, "Delete tenant"));

  // Tokens: listed without values; a minted token is shown once, here.
  const tokens = h("div", { id: "tokens" }, h("p", { class: "muted" }, "Loading…"));
  async function loadTokens() {
    const list = await api("GET", `/api/tenants/${t.id}/tokens`);
    tokens.replaceChildren(
      list.length
        ? h(
            "table",
            { class: "table" },
            h("thead", {}, h("tr", {}, ...["Name", "Scope", "Created", "Expires", ""].map((c) => h("th", { scope: "col" }, c)))),
            h(
              "tbody",
              {},
              list.map((tk) =>
                h(
                  "tr",
                  { class: "token-row", "data-token": tk.id },
                  h("td", { "data-label": "Name" }, tk.name || h("span", { class: "muted" }, "(unnamed)")),
                  h("td", { "data-label": "Scope" }, h("span", { class: "badge" }, tk.scope)),
                  h("td", { "data-label": "Created" }, time(tk.createdAt)),
                  h("td", { "data-label": "Expires" }, tk.expiresAt ? time(tk.expiresAt) : "never"),
                  h("td", {}, h("button", { type: "button", class: "danger", "aria-label": `Revoke ${tk.name || tk.id}`, onclick: act(async () => {
                    if (!confirm(`Revoke the token ${tk.name || tk.id}? Whatever uses it is refused from now on.`)) return;
                    await api("DELETE", `/api/tenants/${t.id}/tokens/${tk.id}`);
                    toast("Token revoked.");
                    await loadTokens();
                  }) }, "Revoke")),
                ),
              ),
            ),
          )
        : h("p", { class: "empty" }, "No tokens yet."),
    );
  }
  const scope = h("select", { id: "token-scope" }, h("option", { value: "manage" }, "manage — hooks, logs, deliveries"), h("option", { value: "ingest" }, "ingest — POST /api/events"));
  const tokenName = h("input", { type: "text", id: "token-name", maxlength: "128", autocomplete: "off" });
  const expires = h("input", { type: "datetime-local", id: "token-expires" });
  const mintError = h("p", { class: "error", role: "alert", id: "mint-error" });
  const minted = h("div", { id: "minted" });
  const mintForm = h(
    "form",
    {
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        return act(async () => {
          minted.replaceChildren();
          const body = { scope: scope.value };
          if (tokenName.value.trim()) body.name = tokenName.value.trim();
          if (expires.value) body.expiresAt = new Date(expires.value).getTime();
          const r = await api("POST", `/api/tenants/${t.id}/tokens`, body);
          const value = h("input", { type: "text", id: "new-token", class: "key", readonly: true, value: r.token, spellcheck: "false", autocomplete: "off" });
          minted.replaceChildren(
            h(
              "div",
              { class: "minted", role: "status" },
              h("h3", {}, `New ${r.scope} token${r.name ? ` “${r.name}”` : ""}`),
              h("p", {}, "Copy it now: this is the only time it is shown. Hookwing keeps only its hash."),
              h("label", { for: "new-token" }, "Token value"),
              h("div", { class: "row" }, h("div", { class: "grow" }, value), h("button", { type: "button", id: "copy-token", onclick: () => copyText(r.token, value, "Token") }, "Copy")),
            ),
          );
          mintForm.reset();
          await loadTokens();
        }, mintError)();
      },
    },
    h("h3", {}, "Mint a token"),
    h("div", { class: "row" },
      h("div", { class: "grow" }, h("label", { for: "token-scope" }, "Scope"), scope),
      h("div", { class: "grow" }, h("label", { for: "token-name" }, "Token name (optional)"), tokenName),
      h("div", { class: "grow" }, h("label", { for: "token-expires" }, "Expires (optional)"), expires)),
    mintError,
    h("p", {}, h("button", { type: "submit" }, "Mint token")),
  );

  // Relay from Logto.
  const relayUrl = h("input", { type: "text", id: "relay-url", class: "key", readonly: true, value: `${location.origin}/api/relay/logto/${t.id}` });
  const relayState = h("span", { id: "relay-state" });
  const relayKey = h("input", { type: "password", id: "relay-key", autocomplete: "off", spellcheck: "false", "aria-describedby": "relay-error" });
  const relayError = errorFor("relay-error");
  const clearRelay = h("button", { type: "button", class: "danger", id: "clear-relay", onclick: act(async () => {
    if (!confirm("Clear the relay key? Relayed Logto events are refused until a new key is set.")) return;
    await api("DELETE", `/api/tenants/${t.id}/relay`);
    toast("Relay key cleared.");
    await refreshRelay();
  }, relayError) }, "Clear relay key");
  const setRelayState = (set) => {
    relayState.replaceChildren(set ? h("span", { class: "badge ok" }, "Set") : h("span", { class: "badge warn" }, "Not set"));
    clearRelay.disabled = !set;
  };
  async function refreshRelay() {
    setRelayState((await api("GET", `/api/tenants/${t.id}`)).relayKeySet);
  }
  setRelayState(t.relayKeySet);
  const relayForm = h(
    "form",
    {
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        return act(async () => {
          await api("PUT", `/api/tenants/${t.id}/relay`, { signingKey: relayKey.value.trim() });
          relayKey.value = "";
          toast("Relay key saved.");
          await refreshRelay();
        }, relayError)();
      },
    },
    h("label", { for: "relay-url" }, "Relay URL"),
    h("div", { class: "row" }, h("div", { class: "grow" }, relayUrl), h("button", { type: "button", class: "secondary", onclick: () => copyText(relayUrl.value, relayUrl, "Relay URL") }, "Copy")),
    h("p", {}, "Signing key: ", relayState),
    h("label", { for: "relay-key" }, "Logto signing key"),
    relayKey,
    relayError,
    h("p", { class: "row" }, h("button", { type: "submit" }, "Save relay key"), clearRelay),
  );

  // Portal.
  const ttl = h("select", { id: "portal-ttl" }, [["900", "15 minutes"], ["3600", "1 hour"], ["28800", "8 hours"], ["86400", "24 hours"]].map(([v, l]) => h("option", { value: v, selected: v === "3600" }, l)));
  const portalOut = h("div", { id: "portal-out" });
  const portalError = errorFor("portal-error");
  const openPortal = act(async () => {
    portalOut.replaceChildren();
    const r = await api("POST", `/api/tenants/${t.id}/portal`, { expiresInSeconds: Number(ttl.value) });
    const link = h("a", { href: r.url, target: "_blank", rel: "noopener noreferrer", id: "portal-link", class: "key" }, r.url);
    portalOut.replaceChildren(
      h("p", {}, link),
      h("p", { class: "row" }, h("button", { type: "button", class: "secondary", onclick: () => copyText(r.url, link, "Portal link") }, "Copy link")),
      h("p", { class: "muted" }, `Valid until ${time(r.expiresAt)}. Whoever has the link manages this tenant's hooks until then.`),
    );
  }, portalError);

  show(
    h("p", {}, h("a", { href: "#/tenants" }, "← Tenants")),
    h("div", { class: "row" }, title, h("button", { type: "button", class: "secondary", onclick: () => {
      sessionStorage.setItem(TENANT_KEY, t.id);
      location.hash = "#/";
    } }, "View hooks")),
    h("p", { class: "muted" }, "ID ", h("code", {}, t.id), ` · created ${time(t.createdAt)}`),
    h("section", { class: "card", "aria-labelledby": "tenant-settings-h" }, h("h2", { id: "tenant-settings-h" }, "Settings"), renameForm, deletion),
    h("section", { class: "card", "aria-labelledby": "tokens-h" }, h("h2", { id: "tokens-h" }, "Tokens"), tokens, minted, mintForm),
    h(
      "section",
      { class: "card", "aria-labelledby": "relay-h" },
      h("h2", { id: "relay-h" }, "Relay from Logto"),
      h("p", { class: "muted" }, "In Logto, create a webhook with this URL as its endpoint, then paste that webhook's signing key here."),
      relayForm,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "portal-h" },
      h("h2", { id: "portal-h" }, "Portal"),
      h("p", { class: "muted" }, "A link to this console that shows this tenant's hooks only, with no tenant administration."),
      h("label", { for: "portal-ttl" }, "Link valid for"),
      ttl,
      h("p", {}, h("button", { type: "button", id: "open-portal", onclick: openPortal }, "Open portal link")),
      portalError,
      portalOut,
    ),
  );
  await loadTokens();
}

// ---------- router ----------
async function route() {
  takePortalFromHash();
  const portal = portalMode();
  if (portal && !token()) return portalEnded();
  if (!token()) return signIn();
  const hash = location.hash.replace(/^#/, "") || "/";
  const tenantsRoute = !portal && /^\/tenants(\/|$)/.test(hash);
  chrome(tenantsRoute ? "tenants" : "hooks");
  try {
    if (!portal && !tenantsRoute) await fillSwitcher();
    let m;
    if (hash === "/") await list();
    else if (hash === "/new") await form();
    else if ((m = hash.match(/^\/hooks\/([0-9a-z]+)\/edit$/))) await form(m[1]);
    else if ((m = hash.match(/^\/hooks\/([0-9a-z]+)$/))) await details(m[1]);
    else if (tenantsRoute && hash === "/tenants") await tenantsView();
    else if (tenantsRoute && (m = hash.match(/^\/tenants\/([a-z0-9][a-z0-9-]{0,62})$/))) await tenantView(m[1]);
    else show(h("div", { class: "card empty" }, "Nothing here. ", h("a", { href: "#/" }, "Back to hooks"), "."));
  } catch (err) {
    if (err.status === 401) return;
    show(h("div", { class: "card" }, h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, err.message), h("a", { href: "#/" }, "Back to hooks")));
  }
}
window.addEventListener("hashchange", route);
route();
