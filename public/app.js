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
async function api(method, path, body, { tenant = true, withTotal = false } = {}) {
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
  return withTotal ? { json, total: Number(res.headers.get("total-number") ?? NaN) } : json;
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


// ---------- loading, empty and error states ----------
const loading = (what) => h("p", { class: "muted loading", role: "status" }, `Loading ${what}…`);
function failed(err, retry) {
  return h(
    "div",
    { class: "load-error", role: "alert" },
    h("p", { class: "error" }, `Could not load: ${err.body?.message || err.message}`),
    retry ? h("button", { type: "button", class: "secondary", onclick: retry }, "Try again") : null,
  );
}
/** Fills `box` with what `load()` builds: a loading line first, the error (with a retry) if it fails. */
async function fill(box, what, load) {
  box.replaceChildren(loading(what));
  try {
    box.replaceChildren(await load());
  } catch (err) {
    if (err.status === 401) return;
    box.replaceChildren(failed(err, () => fill(box, what, load)));
  }
}
const badge = (status) => h("span", { class: `badge ${status === "succeeded" || status === "Success" ? "ok" : status === "failed" || status === "Error" ? "bad" : "warn"}` }, status);
/** `att_<delivery suffix>.<n>` (a log entry's id) → the attempt's page. */
function attemptHref(attemptId) {
  const m = /^att_([0-9A-Za-z]+)\.(\d+)$/.exec(attemptId || "");
  return m ? `#/deliveries/dlv_${m[1]}/attempts/${m[2]}` : null;
}
/** A `pre` with a Copy button above it. */
function copyable(text, what, id) {
  const pre = h("pre", { id }, text);
  return h("div", {}, h("p", { class: "row" }, h("button", { type: "button", class: "secondary", "data-copy": what, onclick: () => copyText(text, pre, what) }, `Copy ${what.toLowerCase()}`)), pre);
}

// ---------- charts (inline SVG, no framework) ----------
const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children.flat()) if (c) el.append(c);
  return el;
}
const hourText = (ms, days) => new Date(ms).toLocaleString([], days ? { weekday: "short", day: "numeric", hour: "2-digit", minute: "2-digit" } : { hour: "2-digit", minute: "2-digit" });
/** Stacked bars per hour: failures (red) at the bottom, successes (green) above. */
function bars(hours, W, H, gap) {
  const max = Math.max(1, ...hours.map((x) => x.requestCount));
  const w = W / hours.length;
  return hours.map((x, i) => {
    const bad = (x.failureCount / max) * H;
    const ok = (x.successCount / max) * H;
    return svg(
      "g",
      {},
      svg("title", {}, `${hourText(x.start, true)}: ${x.successCount} succeeded, ${x.failureCount} failed`),
      bad ? svg("rect", { class: "bar-bad", x: i * w + gap, y: H - bad, width: Math.max(w - 2 * gap, 0.5), height: bad }) : null,
      ok ? svg("rect", { class: "bar-ok", x: i * w + gap, y: H - bad - ok, width: Math.max(w - 2 * gap, 0.5), height: ok }) : null,
    );
  });
}
function axis(stats) {
  const days = stats.range === "7d";
  return h("div", { class: "axis" }, h("span", {}, hourText(stats.from, days)), h("span", {}, days ? "7 days" : "24 hours"), h("span", {}, "now"));
}
function attemptsChart(stats) {
  const failures = stats.requestCount - stats.successCount;
  const max = Math.max(1, ...stats.hours.map((x) => x.requestCount));
  const W = stats.hours.length * 10;
  return h(
    "figure",
    { class: "chart", id: "attempts-chart", "data-range": stats.range, "data-requests": stats.requestCount, "data-failures": failures },
    h("figcaption", {}, h("strong", {}, "Attempts per hour"), ` — ${stats.requestCount} in all, ${failures} failed`),
    h("div", { class: "legend" }, h("span", {}, h("span", { class: "swatch ok" }), "succeeded"), h("span", {}, h("span", { class: "swatch bad" }), "failed"), h("span", {}, `top of chart: ${max} per hour`)),
    svg(
      "svg",
      { viewBox: `0 0 ${W} 100`, preserveAspectRatio: "none", role: "img", "aria-label": `Attempts per hour over ${stats.range}: ${stats.requestCount} attempts, ${failures} failed, at most ${max} in one hour` },
      svg("line", { class: "grid", x1: 0, x2: W, y1: 50, y2: 50, "vector-effect": "non-scaling-stroke" }),
      bars(stats.hours, W, 100, 1),
    ),
    axis(stats),
  );
}
function durationChart(stats) {
  const values = stats.hours.flatMap((x) => [x.p50DurationMs, x.p95DurationMs]).filter((v) => v !== null);
  const max = Math.max(1, ...values);
  const W = stats.hours.length * 10;
  const line = (key) => {
    let d = "";
    let pen = false;
    stats.hours.forEach((x, i) => {
      const v = x[key];
      if (v === null || v === undefined) return (pen = false);
      const X = i * 10 + 5;
      const Y = (100 - (v / max) * 95).toFixed(1);
      // A tick at every hour keeps a lone hour visible; consecutive hours are joined.
      d += `${pen ? `L${X} ${Y}` : `M${X} ${Y}`} M${X - 4} ${Y} L${X + 4} ${Y} M${X} ${Y} `;
      pen = true;
    });
    return d.trim();
  };
  const p95 = values.length ? Math.max(...stats.hours.map((x) => x.p95DurationMs ?? 0)) : null;
  return h(
    "figure",
    { class: "chart", id: "duration-chart", "data-range": stats.range },
    h("figcaption", {}, h("strong", {}, "Attempt duration (p50 / p95)"), values.length ? ` — worst hourly p95 ${p95} ms` : " — no attempts"),
    h("div", { class: "legend" }, h("span", {}, h("span", { class: "swatch p50" }), "p50"), h("span", {}, h("span", { class: "swatch p95" }), "p95"), h("span", {}, `top of chart: ${max} ms`)),
    svg(
      "svg",
      { viewBox: `0 0 ${W} 100`, preserveAspectRatio: "none", role: "img", "aria-label": values.length ? `Attempt duration per hour over ${stats.range}: worst hourly p95 ${p95} ms` : "No attempts in this range" },
      svg("line", { class: "grid", x1: 0, x2: W, y1: 52.5, y2: 52.5, "vector-effect": "non-scaling-stroke" }),
      svg("path", { class: "p50", d: line("p50DurationMs") || "M0 0", fill: "none", "stroke-width": 2, "vector-effect": "non-scaling-stroke" }),
      svg("path", { class: "p95", d: line("p95DurationMs") || "M0 0", fill: "none", "stroke-width": 2, "vector-effect": "non-scaling-stroke" }),
    ),
    axis(stats),
  );
}
/** The hours that had attempts, as a table (what the charts show, for keyboards and screen readers). */
function statsTable(stats) {
  const busy = stats.hours.filter((x) => x.requestCount);
  return h(
    "details",
    { class: "stats-table" },
    h("summary", {}, "Show the numbers"),
    busy.length
      ? h(
          "table",
          { class: "table" },
          h("thead", {}, h("tr", {}, ...["Hour", "Succeeded", "Failed", "p50 ms", "p95 ms"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, busy.map((x) => h("tr", {}, h("td", { "data-label": "Hour" }, hourText(x.start, true)), h("td", { "data-label": "Succeeded" }, x.successCount), h("td", { "data-label": "Failed" }, x.failureCount), h("td", { "data-label": "p50 ms" }, x.p50DurationMs), h("td", { "data-label": "p95 ms" }, x.p95DurationMs)))),
        )
      : h("p", { class: "empty" }, "No attempts in this range."),
  );
}
/** The hook list's 24 h trend: one small stacked bar per hour. */
function sparkline(stats) {
  const failures = stats.requestCount - stats.successCount;
  return svg(
    "svg",
    { class: "spark", viewBox: "0 0 96 24", preserveAspectRatio: "none", role: "img", "data-failures": failures, "aria-label": `Last 24 h: ${stats.requestCount} attempts, ${failures} failed` },
    bars(stats.hours, 96, 24, 0.5),
  );
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
  document.getElementById("event-search").hidden = view === "ended";
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
  document.getElementById("event-search").hidden = true;
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
    searchForm.hidden = true;
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
      h("td", { "data-label": "Trend (24h)", class: "trend", "data-trend": hk.id }, h("span", { class: "muted", role: "status" }, "…")),
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
          h("thead", {}, h("tr", {}, ...["Name", "URL", "Events", "Requests (24h)", "Success rate (24h)", "Trend (24h)", "Status"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows),
        )
      : h("div", { class: "card empty", id: "no-hooks", "data-tenant": forTenant }, "No hooks yet. ", h("a", { href: "#/new" }, "Create the first one"), "."),
  );
  // Trends load after the list is shown, a few at a time; each cell says if its own failed.
  const queue = [...hooks];
  const next = async () => {
    for (let hk; (hk = queue.shift()); ) {
      const cell = main.querySelector(`[data-trend="${hk.id}"]`);
      if (!cell) return;
      try {
        cell.replaceChildren(sparkline(await api("GET", `/api/hooks/${hk.id}/stats/hourly?range=24h`)));
      } catch (err) {
        cell.replaceChildren(h("span", { class: "error", title: err.message }, "unavailable"));
      }
    }
  };
  await Promise.all([next(), next(), next(), next()]);
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
  const ordered = h("input", { type: "checkbox", id: "ordered", checked: !!hook?.config.ordered });
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
    if (ordered.checked) config.ordered = true;
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
        : path === "config.ordered" ? errors.ordered
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
      h("label", { class: "row" }, ordered, "Ordered: one delivery at a time, in ingest order"),
      h("div", { class: "muted" }, "A failing delivery holds the ones behind it until it succeeds or runs out of retries."),
      (errors.ordered = h("div", { class: "error", id: "ordered-error", role: "alert" })),
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
  const statusFilter = h("select", { id: "status-filter", onchange: () => ((page = 1), loadDeliveries()) }, ["", "failed", "retrying", "succeeded", "held", "pending"].map((v) => h("option", { value: v }, v || "all")));
  const fromFilter = h("input", { type: "datetime-local", id: "from-filter" });
  const toFilter = h("input", { type: "datetime-local", id: "to-filter" });
  const pager = h("div", { class: "pager", id: "pager" });
  const PAGE_SIZE = 20;
  let page = 1;
  const numbers = h("p", { id: "numbers-24h" });
  const showNumbers = (st) => numbers.replaceChildren("Requests (24h): ", String(st.requestCount), " · Success rate (24h): ", st.requestCount ? `${Math.round((100 * st.successCount) / st.requestCount)}%` : "—");
  showNumbers(s);
  let range = "24h";
  const charts = h("div", { id: "charts" });
  const rangeButtons = ["24h", "7d"].map((r) =>
    h("button", { type: "button", "data-range": r, "aria-pressed": String(r === range), onclick: () => {
      range = r;
      rangeButtons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.range === r)));
      loadCharts();
    } }, r === "24h" ? "24 hours" : "7 days"),
  );
  const loadCharts = () => fill(charts, "charts", async () => {
    const stats = await api("GET", `/api/hooks/${id}/stats/hourly?range=${range}`);
    return h("div", {}, stats.requestCount ? null : h("p", { class: "empty", id: "no-attempts" }, `No attempts in the last ${range === "7d" ? "7 days" : "24 hours"}.`), attemptsChart(stats), durationChart(stats), statsTable(stats));
  });
  /** After a retry: wait for its attempt to be recorded, then refresh every number on the page. */
  async function afterRetry(deliveryId, before) {
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const d = await api("GET", `/api/deliveries/${deliveryId}`).catch(() => null);
      if (d && d.attemptCount > before) break;
    }
    const fresh = await api("GET", `/api/hooks/${id}?includeExecutionStats=true`).catch(() => null);
    if (fresh) showNumbers(fresh.executionStats);
    await Promise.all([loadDeliveries(), loadLogs(), loadCharts()]);
  }
  const since = h("input", { type: "datetime-local", id: "recover-since" });
  const recoverResult = h("p", { role: "status", id: "recover-result" });

  const loadLogs = () => fill(logs, "requests", async () => {
    const entries = await api("GET", `/api/hooks/${id}/recent-logs?page_size=50`);
    return (
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
                  h("td", { "data-label": "Status" }, e.payload.response?.statusCode ?? e.payload.error ?? "—",
                    attemptHref(e.id) ? [" · ", h("a", { href: attemptHref(e.id), class: "attempt-link" }, "Open attempt")] : null),
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
        : h("p", { class: "empty" }, "No requests in the last 24 hours.")
    );
  });

  async function loadDeliveries() {
    const q = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
    if (statusFilter.value) q.set("status", statusFilter.value);
    if (fromFilter.value) q.set("start_time", String(new Date(fromFilter.value).getTime()));
    if (toFilter.value) q.set("end_time", String(new Date(toFilter.value).getTime()));
    let list, total;
    try {
      ({ json: list, total } = await api("GET", `/api/hooks/${id}/deliveries?${q}`, undefined, { withTotal: true }));
    } catch (err) {
      if (err.status === 401) return;
      deliveries.replaceChildren(failed(err, loadDeliveries));
      pager.replaceChildren();
      return;
    }
    const pages = Math.max(1, Math.ceil((Number.isFinite(total) ? total : list.length) / PAGE_SIZE));
    pager.replaceChildren(
      h("button", { type: "button", class: "secondary", id: "prev-page", disabled: page <= 1, onclick: () => ((page -= 1), loadDeliveries()) }, "Previous"),
      h("span", { id: "page-info" }, `Page ${page} of ${pages} · ${Number.isFinite(total) ? total : list.length} deliveries`),
      h("button", { type: "button", class: "secondary", id: "next-page", disabled: page >= pages, onclick: () => ((page += 1), loadDeliveries()) }, "Next"),
    );
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
                  h("td", { "data-label": "Created" }, h("a", { href: `#/deliveries/${d.id}`, class: "delivery-link" }, time(d.createdAt))),
                  h("td", { "data-label": "Event" }, h("a", { href: `#/events/${d.eventId}`, class: "event-link" }, d.event)),
                  h("td", { "data-label": "Status" }, badge(d.status)),
                  h("td", { "data-label": "Attempts" }, d.attemptCount),
                  h("td", { "data-label": "Last error" }, d.lastError || "—"),
                  h(
                    "td",
                    {},
                    d.status === "failed"
                      ? h("button", { type: "button", class: "secondary", onclick: act(async (e) => {
                          e.target.disabled = true;
                          const r = await api("POST", `/api/deliveries/${d.id}/retry`);
                          toast(`Retry queued (attempt ${r.attempt}).`);
                          await afterRetry(d.id, d.attemptCount);
                        }) }, "Retry")
                      : null,
                  ),
                ),
              ),
            ),
          )
        : h("p", { class: "empty", id: "no-deliveries" }, statusFilter.value || fromFilter.value || toFilter.value ? "No deliveries match these filters." : "No deliveries yet."),
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
      hook.config.rateLimit || hook.config.maxInFlight || hook.config.ordered
        ? h("p", { id: "limits" }, "Limits: ", [
          hook.config.ordered ? "ordered, one at a time" : null,
          hook.config.rateLimit ? `at most ${hook.config.rateLimit.perSecond} attempt(s) per second` : null,
          hook.config.maxInFlight ? `at most ${hook.config.maxInFlight} at once` : null,
        ].filter(Boolean).join(" · "))
        : null,
      numbers,
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
      { class: "card", "aria-labelledby": "health-h" },
      h("div", { class: "row" }, h("h2", { id: "health-h", class: "grow" }, "Delivery health"), h("div", { class: "seg", role: "group", "aria-label": "Range" }, rangeButtons)),
      charts,
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
      h("h2", { id: "deliveries-h" }, "Deliveries"),
      h(
        "form",
        { class: "filters", id: "delivery-filters", onsubmit: (e) => {
          e.preventDefault();
          page = 1;
          loadDeliveries();
        } },
        h("div", {}, h("label", { for: "status-filter" }, "Status"), statusFilter),
        h("div", {}, h("label", { for: "from-filter" }, "Created from"), fromFilter),
        h("div", {}, h("label", { for: "to-filter" }, "Created until"), toFilter),
        h("p", {}, h("button", { type: "submit", class: "secondary", id: "apply-filters" }, "Apply")),
      ),
      deliveries,
      pager,
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
  deliveries.replaceChildren(loading("deliveries"));
  logs.replaceChildren(loading("requests"));
  await Promise.all([loadLogs(), loadDeliveries(), loadCharts()]);
}


// ---------- one event, one delivery, one attempt ----------
const searchForm = document.getElementById("event-search");
const searchInput = document.getElementById("event-q");
searchForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const id = searchInput.value.trim();
  if (!id) return searchInput.focus();
  const target = `#/events/${encodeURIComponent(id)}`;
  // The same id again changes no hash: look it up again anyway.
  if (location.hash === target) route();
  else location.hash = target;
});
const kv = (...pairs) => h("dl", { class: "kv" }, pairs.filter(Boolean).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
const hookLink = (hookId, name, deleted) => (deleted ? h("span", { class: "muted" }, `${hookId} (deleted)`) : h("a", { href: `#/hooks/${hookId}` }, name || hookId));
/** A view's 404 as an empty state, anything else as the error page. */
function notFound(err, title, text) {
  if (err.status !== 404) throw err;
  show(h("div", { class: "card empty", id: "not-found" }, h("h1", {}, title), h("p", {}, text), h("a", { href: "#/" }, "Back to hooks")));
}

async function eventView(id) {
  let ev;
  try {
    ev = await api("GET", `/api/events/${encodeURIComponent(id)}`);
  } catch (err) {
    return notFound(err, "No such event", `No event ${id} was delivered to this tenant's hooks within the retention window. Event ids look like evt_… and are shown on every delivery.`);
  }
  searchInput.value = ev.id;
  show(
    h("p", {}, h("a", { href: "#/" }, "← Hooks")),
    h("h1", {}, `Event ${ev.event}`),
    h("section", { class: "card", "aria-labelledby": "event-h" },
      h("h2", { id: "event-h" }, "Event"),
      kv(["ID", h("code", { class: "key", id: "event-id" }, ev.id)], ["Ingested", time(ev.ingestedAt)], ["Deliveries", String(ev.deliveries.length)]),
      h("h3", {}, "Payload"),
      copyable(JSON.stringify(ev.payload, null, 2), "Payload", "event-payload"),
    ),
    h("section", { class: "card", "aria-labelledby": "fanout-h" },
      h("h2", { id: "fanout-h" }, "Fan-out"),
      h("table", { class: "table", id: "fanout" },
        h("thead", {}, h("tr", {}, ...["Hook", "Status", "Attempts", "Last error", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ev.deliveries.map((d) => h("tr", { class: "fanout-row", "data-delivery": d.id, "data-hook": d.hookId },
          h("td", { "data-label": "Hook" }, hookLink(d.hookId, d.hookName, d.hookDeleted)),
          h("td", { "data-label": "Status" }, badge(d.status)),
          h("td", { "data-label": "Attempts" }, d.attemptCount),
          h("td", { "data-label": "Last error" }, d.lastError || "—"),
          h("td", {}, h("a", { href: `#/deliveries/${d.id}` }, "Open delivery")),
        ))),
      ),
    ),
  );
}

async function deliveryView(id) {
  let d;
  try {
    d = await api("GET", `/api/deliveries/${id}`);
  } catch (err) {
    return notFound(err, "No such delivery", `No delivery ${id} in this tenant.`);
  }
  const retry = d.status === "failed"
    ? h("button", { type: "button", id: "retry-delivery", onclick: act(async (e) => {
        e.target.disabled = true;
        const r = await api("POST", `/api/deliveries/${id}/retry`);
        toast(`Retry queued (attempt ${r.attempt}).`);
        for (let i = 0; i < 40; i++) {
          await new Promise((res) => setTimeout(res, 500));
          const now = await api("GET", `/api/deliveries/${id}`).catch(() => null);
          if (now && now.attemptCount > d.attemptCount) break;
        }
        if (location.hash === `#/deliveries/${id}`) await deliveryView(id);
      }) }, "Retry now")
    : null;
  show(
    h("p", { class: "row" }, h("a", { href: `#/hooks/${d.hookId}` }, "← Hook"), h("a", { href: `#/events/${d.eventId}`, id: "to-event" }, "Event and its fan-out")),
    h("h1", {}, `Delivery of ${d.event}`),
    h("section", { class: "card", "aria-labelledby": "delivery-h" },
      h("h2", { id: "delivery-h" }, "Delivery"),
      kv(["ID", h("code", { class: "key" }, d.id)], ["Status", badge(d.status)], ["Attempts", h("span", { id: "attempt-count" }, String(d.attemptCount))],
        ["Event", h("a", { href: `#/events/${d.eventId}`, class: "key" }, d.eventId)], ["Created", time(d.createdAt)],
        d.nextAttemptAt ? ["Next attempt", time(d.nextAttemptAt)] : null, d.lastError ? ["Last error", d.lastError] : null),
      retry ? h("p", {}, retry) : null,
    ),
    h("section", { class: "card", "aria-labelledby": "attempts-h" },
      h("h2", { id: "attempts-h" }, "Attempts"),
      d.attempts.length
        ? h("table", { class: "table", id: "attempts" },
            h("thead", {}, h("tr", {}, ...["#", "Started", "Duration", "Result", "Response", ""].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, d.attempts.map((a) => h("tr", { class: "attempt-row", "data-attempt": a.number },
              h("td", { "data-label": "#" }, a.number),
              h("td", { "data-label": "Started" }, time(a.startedAt)),
              h("td", { "data-label": "Duration" }, `${a.durationMs} ms`),
              h("td", { "data-label": "Result" }, badge(a.result)),
              h("td", { "data-label": "Response" }, a.responseStatus ?? a.error ?? "—"),
              h("td", {}, h("a", { href: `#/deliveries/${d.id}/attempts/${a.number}` }, "Open attempt")),
            ))))
        : h("p", { class: "empty" }, d.status === "held" ? "Held: no attempt until the hook resumes." : "No attempt yet."),
    ),
    h("section", { class: "card", "aria-labelledby": "payload-h" }, h("h2", { id: "payload-h" }, "Payload"), copyable(JSON.stringify(d.payload, null, 2), "Payload", "delivery-payload")),
  );
}

async function attemptView(id, number) {
  let a;
  try {
    a = await api("GET", `/api/deliveries/${id}/attempts/${number}`);
  } catch (err) {
    return notFound(err, "No such attempt", `Delivery ${id} has no attempt ${number} in this tenant.`);
  }
  const req = a.request;
  const requestText = req ? [`${req.method} ${req.url}`, ...req.headers.map((x) => `${x.name}: ${x.value}`), "", req.body].join("\n") : "";
  const sig = (name) => req?.headers.find((x) => x.name === name)?.value;
  show(
    h("p", { class: "row" }, h("a", { href: `#/deliveries/${a.deliveryId}` }, "← Delivery"), h("a", { href: `#/events/${a.eventId}`, id: "to-event" }, "Event and its fan-out"), h("a", { href: `#/hooks/${a.hookId}` }, "Hook")),
    h("h1", {}, `Attempt ${a.number} of ${a.event}`),
    h("section", { class: "card", "aria-labelledby": "outcome-h" },
      h("h2", { id: "outcome-h" }, "Outcome"),
      kv(["Result", badge(a.result)], ["Started", time(a.startedAt)], ["Duration", `${a.durationMs} ms`], a.error ? ["Error", a.error] : null),
    ),
    h("section", { class: "card", "aria-labelledby": "request-h" },
      h("h2", { id: "request-h" }, "Request sent"),
      h("p", { class: "muted", id: "request-note" }, a.requestNote),
      req
        ? [
            req.bodyMasked ? h("p", { class: "warn" }, "Sensitive values in the body are masked here, so these bytes differ from the ones sent and signed.") : null,
            h("p", {}, h("code", { class: "key" }, `${req.method} ${req.url}`)),
            h("h3", {}, "Headers"),
            h("dl", { class: "kv headers", id: "request-headers" }, req.headers.flatMap((x) => [h("dt", {}, x.name), h("dd", {}, x.value)])),
            h("h3", {}, "Body"),
            copyable(req.body, "Body", "request-body"),
            h("p", {}, h("button", { type: "button", class: "secondary", id: "copy-request", onclick: (e) => copyText(requestText, e.target.closest("section").querySelector("#request-body"), "Request") }, "Copy whole request")),
          ]
        : null,
    ),
    h("section", { class: "card", "aria-labelledby": "response-h" },
      h("h2", { id: "response-h" }, "Response"),
      kv(["Status", a.response.status === null ? "none (no answer)" : String(a.response.status)]),
      a.response.headers?.length
        ? [
            h("h3", {}, "Headers"),
            h("dl", { class: "kv headers", id: "response-headers" }, a.response.headers.flatMap((x) => [h("dt", {}, x.name), h("dd", {}, x.value)])),
            a.response.headersCut ? h("p", { class: "muted" }, "More headers came back than the 1 KiB kept.") : null,
          ]
        : null,
      a.response.body ? copyable(a.response.body, "Response", "response-body") : h("p", { class: "empty" }, "No body recorded."),
      h("p", { class: "muted" }, a.responseNote),
    ),
    a.verify
      ? h("section", { class: "card", "aria-labelledby": "verify-h", id: "verify" },
          h("h2", { id: "verify-h" }, "Verify this signature"),
          h("p", {}, "With the hook's signing secret ", h("code", { id: "masked-secret" }, a.verify.signingSecret), " (shown in full on the hook page only):"),
          h("ul", {}, h("li", {}, a.verify.standardWebhooks), h("li", {}, a.verify.logto)),
          sig("webhook-signature") ? kv(["webhook-id", h("code", { class: "key" }, sig("webhook-id"))], ["webhook-timestamp", h("code", {}, sig("webhook-timestamp"))], ["webhook-signature", h("code", { class: "key" }, sig("webhook-signature"))]) : null,
        )
      : null,
  );
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
  // Loading state of the whole view until it renders (each section then has its own).
  if (!main.querySelector("[data-view-loading]")) main.replaceChildren(h("div", { "data-view-loading": "" }, loading("…")));
  try {
    if (!portal && !tenantsRoute) await fillSwitcher();
    let m;
    if (hash === "/") await list();
    else if (hash === "/new") await form();
    else if ((m = hash.match(/^\/hooks\/([0-9a-z]+)\/edit$/))) await form(m[1]);
    else if ((m = hash.match(/^\/hooks\/([0-9a-z]+)$/))) await details(m[1]);
    else if ((m = hash.match(/^\/events\/(.+)$/))) await eventView(decodeURIComponent(m[1]));
    else if ((m = hash.match(/^\/deliveries\/(dlv_[0-9A-Za-z]+)$/))) await deliveryView(m[1]);
    else if ((m = hash.match(/^\/deliveries\/(dlv_[0-9A-Za-z]+)\/attempts\/(\d+)$/))) await attemptView(m[1], m[2]);
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
