// The admin console in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): sign in, create a hook, see it listed, send a test, see a recent log after
// an event, retry a failed delivery. Screenshots at 375 px and 1280 px go to tests/artifacts/.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { startWorker, ROOT, ADMIN_TOKEN, INGEST_TOKEN } from "./support/worker.mjs";
import { startReceiver } from "./support/receiver.mjs";
import { until } from "./support/util.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ARTIFACTS = path.join(ROOT, "tests/artifacts");
const launchChromium = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });

describe("admin console", () => {
  let w;
  let rx;
  let browser;
  let page;
  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}. Install it with: sudo apt-get install -y chromium (or set CHROMIUM_PATH).`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    rx = await startReceiver();
    w = await startWorker({ vars: { RETRY_SCHEDULE: "1" } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("dialog", (d) => d.accept());
  });
  after(async () => {
    await browser?.close();
    await w?.stop();
    await rx?.stop();
  });

  test("signing in keeps the token in session storage only, and a wrong token is refused", async () => {
    await page.goto(w.url + "/");
    await page.getByLabel("Admin token").fill("wrong-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Sign in again").waitFor();
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Hooks" }).waitFor();
    await page.getByText("No hooks yet").waitFor();
    const stored = await page.evaluate(() => [sessionStorage.getItem("hookwing.adminToken"), localStorage.length, location.href]);
    assert.equal(stored[0], ADMIN_TOKEN);
    assert.equal(stored[1], 0, "nothing in local storage");
    assert.ok(!stored[2].includes(ADMIN_TOKEN), "the token is not in the URL");
  });

  test("creating a hook shows API validation inline, then lists the hook", async () => {
    await page.getByRole("link", { name: "New hook" }).click();
    await page.getByLabel("Name").fill("CRM sync");
    await page.getByLabel("Endpoint URL").fill("not a url");
    await page.getByLabel("PostSignIn", { exact: true }).check();
    await page.getByLabel("User.Created").check();
    await page.getByRole("button", { name: "Create hook" }).click();
    const urlError = page.locator("#url-error");
    await urlError.filter({ hasText: /absolute URL/ }).waitFor();
    await page.getByLabel("Endpoint URL").fill(rx.url("/console"));
    await page.getByRole("button", { name: "Add header" }).click();
    await page.getByLabel("Header name").fill("x-api-key");
    await page.getByLabel("Header value").fill("secret-value");
    await page.getByRole("button", { name: "Create hook" }).click();
    await page.getByRole("heading", { name: "CRM sync" }).waitFor();
    const hooks = (await w.admin("GET", "/api/hooks")).json;
    assert.equal(hooks.length, 1);
    assert.deepEqual(hooks[0].events, ["PostSignIn", "User.Created"]);
    assert.deepEqual(hooks[0].config.headers, { "x-api-key": "secret-value" });
    await page.getByRole("link", { name: "Hooks", exact: true }).click();
    const row = page.locator("#hooks tbody tr");
    await row.first().waitFor();
    assert.match(await row.first().innerText(), /CRM sync[\s\S]*Enabled/);
  });

  test("send test reaches the loopback receiver with Logto's test payload", async () => {
    await page.getByRole("link", { name: "CRM sync" }).click();
    await page.getByLabel("Event", { exact: true }).selectOption("User.Created");
    await page.getByRole("button", { name: "Send test" }).click();
    await page.locator("#test-result").filter({ hasText: "Test delivered" }).waitFor();
    const [req] = await rx.waitFor("/console", 1);
    const body = JSON.parse(req.body);
    assert.equal(body.event, "User.Created");
    assert.deepEqual(body.data, { result: "success" });
    assert.equal(req.headers["x-api-key"], "secret-value");
    rx.behave("/console", { status: 500, body: "broken" });
    await page.getByRole("button", { name: "Send test" }).click();
    await page.locator("#test-result").filter({ hasText: "Endpoint answered 500: broken" }).waitFor();
  });

  test("a recent log appears after an event, and a failed delivery can be retried", async () => {
    const hook = (await w.admin("GET", "/api/hooks")).json[0];
    await w.admin("PATCH", `/api/hooks/${hook.id}`, { config: { ...hook.config, retries: 0 } });
    rx.behave("/console", { status: 503, body: "down for maintenance" });
    const ev = await w.ingest({ event: "PostSignIn", userId: "u-console" });
    assert.equal(ev.status, 202);
    await until("the failed delivery", async () => {
      const d = (await w.admin("GET", `/api/deliveries/${ev.json.deliveries[0].id}`)).json;
      return d?.status === "failed";
    });
    await page.reload();
    const log = page.locator(".log-row").first();
    await log.waitFor();
    assert.match(await log.innerText(), /PostSignIn[\s\S]*Error[\s\S]*503/);
    await log.getByText("Show").click();
    await log.getByText("u-console").waitFor();
    await log.getByText("down for maintenance").waitFor();

    rx.behave("/console", { status: 204 });
    const row = page.locator(`.delivery-row[data-delivery="${ev.json.deliveries[0].id}"]`);
    await row.getByRole("button", { name: "Retry" }).click();
    await page.getByText(/Retry queued/).waitFor();
    await until("the retried delivery", async () => {
      const d = (await w.admin("GET", `/api/deliveries/${ev.json.deliveries[0].id}`)).json;
      return d?.status === "succeeded";
    });
    await row.getByText("succeeded").waitFor({ timeout: 10000 });
    await page.screenshot({ path: path.join(ARTIFACTS, "console-1280.png"), fullPage: true });
  });

  test("Pause holds new deliveries (listed as held) and Resume sends them", async () => {
    const hook = (await w.admin("GET", "/api/hooks")).json[0];
    await page.getByRole("button", { name: "Pause" }).click();
    await page.locator(".badge", { hasText: "Paused" }).waitFor();
    assert.equal((await w.admin("GET", `/api/hooks/${hook.id}`)).json.paused, true);
    const before = rx.received("/console").length;
    const ev = await w.ingest({ event: "PostSignIn", userId: "u-paused" });
    const id = ev.json.deliveries[0].id;
    await until("the delivery to be held", async () => (await w.admin("GET", `/api/deliveries/${id}`)).json?.status === "held");
    await page.reload();
    await page.locator("#status-filter").selectOption("held");
    await page.locator(`.delivery-row[data-delivery="${id}"]`).getByText("held").waitFor();
    assert.equal(rx.received("/console").length, before, "nothing sent while paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Pause" }).waitFor();
    await rx.waitFor("/console", before + 1);
    assert.equal(JSON.parse(rx.received("/console").at(-1).body).userId, "u-paused");
    await until("the released delivery to succeed", async () => (await w.admin("GET", `/api/deliveries/${id}`)).json?.status === "succeeded");
  });

  test("the hook form sets ordering, the rate limit and max in flight, with the API's validation inline", async () => {
    const hook = (await w.admin("GET", "/api/hooks")).json[0];
    await page.goto(`${w.url}/#/hooks/${hook.id}/edit`);
    await page.getByLabel("Rate limit (attempts per second, 1–1000)").fill("1001");
    await page.getByLabel("Max in flight (1–100)").fill("3");
    await page.getByLabel("Ordered: one delivery at a time, in ingest order").check();
    await page.locator("main form button[type=submit]").click();
    await page.locator("#perSecond-error").filter({ hasText: /1 to 1000/ }).waitFor();
    await page.getByLabel("Rate limit (attempts per second, 1–1000)").fill("5");
    await page.locator("main form button[type=submit]").click();
    await page.getByRole("heading", { name: "CRM sync" }).waitFor();
    const saved = (await w.admin("GET", `/api/hooks/${hook.id}`)).json.config;
    assert.deepEqual([saved.rateLimit, saved.maxInFlight, saved.ordered], [{ perSecond: 5 }, 3, true]);
    assert.equal(await page.locator("#limits").innerText(), "Limits: ordered, one at a time · at most 5 attempt(s) per second · at most 3 at once");
    await page.goto(`${w.url}/#/hooks/${hook.id}/edit`);
    assert.equal(await page.getByLabel("Rate limit (attempts per second, 1–1000)").inputValue(), "5");
    assert.ok(await page.getByLabel("Ordered: one delivery at a time, in ingest order").isChecked());
    await page.getByLabel("Rate limit (attempts per second, 1–1000)").fill("");
    await page.getByLabel("Max in flight (1–100)").fill("");
    await page.getByLabel("Ordered: one delivery at a time, in ingest order").uncheck();
    await page.locator("main form button[type=submit]").click();
    await page.getByRole("heading", { name: "CRM sync" }).waitFor();
    const cleared = (await w.admin("GET", `/api/hooks/${hook.id}`)).json.config;
    assert.ok(!("rateLimit" in cleared) && !("maxInFlight" in cleared) && !("ordered" in cleared), "cleared fields remove the limits");
  });

  test("the console works at 375 px wide", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.reload();
    await page.getByRole("heading", { name: "Signing key" }).waitFor();
    await page.locator(".log-row").first().waitFor();
    await page.locator(".delivery-row").first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling at 375 px (overflow ${overflow}px)`);
    await page.screenshot({ path: path.join(ARTIFACTS, "console-375.png"), fullPage: true });
    await page.getByRole("link", { name: "Hooks", exact: true }).click();
    await page.locator("#hooks").waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, "console-list-375.png"), fullPage: true });
  });

  test("the keyboard reaches every control on the sign-in form", async () => {
    const fresh = await browser.newPage();
    await fresh.goto(w.url + "/");
    await fresh.keyboard.press("Tab");
    await fresh.keyboard.press("Tab");
    await fresh.keyboard.press("Tab");
    const focused = await fresh.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
    assert.ok(["token", "BUTTON", "A"].includes(focused), `focus moved through the controls: ${focused}`);
    await fresh.close();
  });
});

// Tenants (§9) in the console: the operator's switcher and Tenants view, and the portal a
// tenant's customer opens from `/#portal=<token>`. Screenshots at 375 px and 1280 px go to
// tests/artifacts/console-tenants-*.png, console-tenant-*.png and console-portal-*.png.
describe("tenants and the portal in the console", () => {
  let w;
  let rx;
  let browser;
  let context;
  let page;
  const dialogs = [];
  const asTenant = (tenant) => ({ token: ADMIN_TOKEN, headers: { "hookwing-tenant": tenant } });
  const hookNames = async (tenant) => {
    const res = await w.call("GET", "/api/hooks", asTenant(tenant));
    assert.equal(res.status, 200, `GET /api/hooks as ${tenant}: ${res.text}`);
    return res.json.map((hk) => hk.name);
  };
  const noHorizontalScroll = async (p, what) => {
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `${what}: no horizontal scrolling at 375 px (scrollWidth ${width})`);
  };
  const openTenant = async (name) => {
    await page.getByRole("link", { name: "Tenants", exact: true }).click();
    await page.getByRole("heading", { name: "Tenants", exact: true }).waitFor();
    await page.getByRole("link", { name, exact: true }).click();
    await page.getByRole("heading", { name, exact: true, level: 1 }).waitFor();
    await page.locator("#tokens table, #tokens .empty").first().waitFor();
  };
  /** A fresh browser (no session storage shared with the operator) recording every request. */
  const portalBrowser = async (viewport = { width: 1280, height: 900 }) => {
    const ctx = await browser.newContext({ viewport });
    const requests = [];
    ctx.on("request", (r) => requests.push({ url: r.url(), headers: r.headers() }));
    return { ctx, page: await ctx.newPage(), requests };
  };

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}. Install it with: sudo apt-get install -y chromium (or set CHROMIUM_PATH).`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    rx = await startReceiver();
    w = await startWorker({ vars: { RETRY_SCHEDULE: "1" } });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: w.url });
    page = await context.newPage();
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      d.accept();
    });
    // A hook of the default tenant, which no other tenant may see.
    const created = await w.admin("POST", "/api/hooks", { name: "Default orders", events: ["PostSignIn"], config: { url: rx.url("/default") } });
    assert.equal(created.status, 201, created.text);
    await page.goto(w.url + "/");
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator('#hooks[data-tenant="default"]').waitFor();
  });
  after(async () => {
    await browser?.close();
    await w?.stop();
    await rx?.stop();
  });

  test("the Tenants view creates a tenant, shows the API's validation inline, and the switcher then offers it", async () => {
    await page.getByRole("link", { name: "Tenants", exact: true }).click();
    await page.getByRole("heading", { name: "Tenants", exact: true }).waitFor();
    await page.locator('[data-tenant-row="default"]').waitFor();
    await page.getByLabel("Tenant name").fill("Acme Inc");
    await page.getByLabel("Tenant ID (optional)").fill("Acme_Inc");
    await page.getByRole("button", { name: "Create tenant" }).click();
    await page.locator("#new-tenant-id-error").filter({ hasText: /\S/ }).waitFor();
    const names = (await w.admin("GET", "/api/tenants")).json.map((t) => t.name);
    assert.ok(!names.includes("Acme Inc"), `an invalid id creates nothing: ${names}`);

    await page.getByLabel("Tenant ID (optional)").fill("acme");
    await page.getByRole("button", { name: "Create tenant" }).click();
    await page.getByRole("heading", { name: "Acme Inc", level: 1 }).waitFor();
    const acme = await w.admin("GET", "/api/tenants/acme");
    assert.equal(acme.status, 200, acme.text);
    assert.equal(acme.json.name, "Acme Inc");

    const switcher = page.getByLabel("Tenant", { exact: true });
    assert.equal(await switcher.isVisible(), false, "no switcher on the Tenants view");
    await page.getByRole("link", { name: "Hooks", exact: true }).click();
    await page.locator('#hooks[data-tenant="default"]').waitFor();
    assert.equal(await switcher.isVisible(), true, "the switcher is on the hook views");
    const options = await switcher.locator("option").evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(options.sort(), ["acme", "default"]);
    assert.equal(await switcher.inputValue(), "default");
  });

  test("choosing a tenant scopes the hook list and the hook form to it, and every hook call names it", async () => {
    const seen = [];
    const onRequest = (r) => seen.push({ url: r.url(), tenant: r.headers()["hookwing-tenant"] });
    page.on("request", onRequest);
    const switcher = page.getByLabel("Tenant", { exact: true });
    await switcher.selectOption("acme");
    await page.locator('#no-hooks[data-tenant="acme"]').waitFor();
    assert.equal(await page.getByText("Default orders").count(), 0, "acme does not list default's hook");

    await page.getByRole("link", { name: "New hook" }).click();
    await page.getByLabel("Name").fill("Acme orders");
    await page.getByLabel("Endpoint URL").fill(rx.url("/acme"));
    await page.getByLabel("User.Created").check();
    await page.getByRole("button", { name: "Create hook" }).click();
    await page.getByRole("heading", { name: "Acme orders" }).waitFor();
    page.off("request", onRequest);

    const acmeHooks = (await w.call("GET", "/api/hooks", asTenant("acme"))).json;
    assert.deepEqual(acmeHooks.map((hk) => [hk.name, hk.tenantId]), [["Acme orders", "acme"]]);
    const defaultNames = await hookNames("default");
    assert.ok(defaultNames.includes("Default orders"), `default keeps its hook: ${defaultNames}`);
    assert.ok(!defaultNames.includes("Acme orders"), `the acme hook is not default's: ${defaultNames}`);
    const noHeader = (await w.admin("GET", "/api/hooks")).json.map((hk) => hk.name);
    assert.ok(!noHeader.includes("Acme orders"), "nor seen without a tenant header");

    const hookCalls = seen.filter((r) => /^\/api\/(hooks|deliveries)/.test(new URL(r.url).pathname));
    assert.ok(hookCalls.length >= 3, `list, create and details were called: ${hookCalls.map((r) => r.url)}`);
    assert.deepEqual(hookCalls.filter((r) => r.tenant !== "acme"), [], "every hook call carries hookwing-tenant: acme");

    await page.reload();
    await page.getByRole("heading", { name: "Acme orders" }).waitFor();
    assert.equal(await switcher.inputValue(), "acme", "the choice survives a reload");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("hookwing.tenant")), "acme");

    await switcher.selectOption("default");
    await page.locator('#hooks[data-tenant="default"]').waitFor();
    const rows = await page.locator("#hooks tbody tr").allInnerTexts();
    assert.ok(rows.some((r) => r.includes("Default orders")), `default's hook listed: ${rows}`);
    assert.ok(!rows.some((r) => r.includes("Acme orders")), `acme's hook not listed under default: ${rows}`);
  });

  test("a minted token is shown once with a copy button, works for its tenant, and is refused once revoked", async () => {
    await openTenant("Acme Inc");
    await page.getByLabel("Scope", { exact: true }).selectOption("manage");
    await page.getByLabel("Token name (optional)").fill("ci deploy");
    await page.getByRole("button", { name: "Mint token" }).click();
    const field = page.getByLabel("Token value");
    await field.waitFor();
    const value = await field.inputValue();
    assert.match(value, /^hwk_acme_[A-Za-z0-9_-]{20,}$/);
    assert.equal(await field.isEditable(), false, "the token field is read-only");
    await page.locator("#minted").getByRole("button", { name: "Copy" }).click();
    await page.getByText("Token copied.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), value, "Copy puts the token on the clipboard");

    const withToken = await w.call("GET", "/api/hooks", { token: value });
    assert.equal(withToken.status, 200, withToken.text);
    assert.deepEqual(withToken.json.map((hk) => hk.name), ["Acme orders"], "the token acts on acme only");

    const row = page.locator(".token-row", { hasText: "ci deploy" });
    await row.waitFor();
    await page.getByRole("link", { name: "Hooks", exact: true }).click();
    await page.locator("#hooks").waitFor();
    await openTenant("Acme Inc");
    await row.waitFor();
    assert.match(await row.innerText(), /ci deploy[\s\S]*manage/);
    assert.equal(await page.locator("#new-token").count(), 0, "no token field after navigating back");
    const leaks = await page.evaluate((v) => [
      document.documentElement.outerHTML.includes(v),
      document.body.innerText.includes(v),
      [...document.querySelectorAll("input")].some((i) => i.value.includes(v)),
    ], value);
    assert.deepEqual(leaks, [false, false, false], "the token value is not on the page any more");

    dialogs.length = 0;
    await row.getByRole("button", { name: /^Revoke/ }).click();
    await row.waitFor({ state: "detached" });
    assert.ok(dialogs.some((m) => m.includes("ci deploy")), `revoking asked first: ${dialogs}`);
    const listed = (await w.admin("GET", "/api/tenants/acme/tokens")).json;
    assert.ok(!listed.some((tk) => tk.name === "ci deploy"), "the token is gone from the API's list");
    const refused = await w.call("GET", "/api/hooks", { token: value });
    assert.equal(refused.status, 401, `a revoked token is refused: ${refused.status} ${refused.text}`);
    assert.equal(refused.json?.code, "auth.unauthorized");
  });

  test("the relay section shows the tenant's relay URL, and saving or clearing the key flips relayKeySet", async () => {
    assert.equal(await page.getByLabel("Relay URL").inputValue(), `${w.url}/api/relay/logto/acme`);
    assert.equal((await w.admin("GET", "/api/tenants/acme")).json.relayKeySet, false);
    const state = page.locator("#relay-state");
    assert.equal((await state.innerText()).trim(), "Not set");
    await page.getByLabel("Logto signing key").fill("logto-signing-key-for-acme-0123456789");
    await page.getByRole("button", { name: "Save relay key" }).click();
    await state.filter({ hasText: /^Set$/ }).waitFor();
    assert.equal((await w.admin("GET", "/api/tenants/acme")).json.relayKeySet, true);
    assert.equal(await page.getByLabel("Logto signing key").inputValue(), "", "the key does not stay in the form");

    await page.getByRole("button", { name: "Clear relay key" }).click();
    await state.filter({ hasText: /^Not set$/ }).waitFor();
    assert.equal((await w.admin("GET", "/api/tenants/acme")).json.relayKeySet, false);
    await page.getByLabel("Logto signing key").fill("logto-signing-key-for-acme-0123456789");
    await page.getByRole("button", { name: "Save relay key" }).click();
    await state.filter({ hasText: /^Set$/ }).waitFor();
    assert.equal((await w.admin("GET", "/api/tenants/acme")).json.relayKeySet, true);
  });

  test("the default tenant offers no delete; another tenant can be renamed and, after a confirm, deleted", async () => {
    const temp = await w.admin("POST", "/api/tenants", { id: "temp", name: "Temp" });
    assert.equal(temp.status, 201, temp.text);
    await page.getByRole("link", { name: "Tenants", exact: true }).click();
    await page.locator('[data-tenant-row="temp"]').waitFor();
    await page.locator('[data-tenant-row="default"]').getByRole("link").click();
    await page.locator("#default-permanent").waitFor();
    assert.equal(await page.getByRole("button", { name: "Delete tenant" }).count(), 0);

    await openTenant("Temp");
    await page.getByLabel("Tenant name").fill("Temporary");
    await page.getByRole("button", { name: "Rename" }).click();
    await page.getByRole("heading", { name: "Temporary", level: 1 }).waitFor();
    assert.equal((await w.admin("GET", "/api/tenants/temp")).json.name, "Temporary");

    dialogs.length = 0;
    await page.getByRole("button", { name: "Delete tenant" }).click();
    await page.getByRole("heading", { name: "Tenants", exact: true }).waitFor();
    await page.locator('[data-tenant-row="acme"]').waitFor();
    assert.equal(await page.locator('[data-tenant-row="temp"]').count(), 0);
    assert.ok(dialogs.some((m) => m.includes("Delete tenant temp")), `deleting asked first: ${dialogs}`);
    assert.equal((await w.admin("GET", "/api/tenants/temp")).status, 404);
  });

  test("a portal link opens a console of that tenant only, without tenant administration, the token never in the address bar or a request URL", async () => {
    await openTenant("Acme Inc");
    await page.getByRole("button", { name: "Open portal link" }).click();
    const link = page.locator("#portal-link");
    await link.waitFor();
    const href = await link.getAttribute("href");
    assert.equal(await link.getAttribute("target"), "_blank");
    assert.ok(href.startsWith(`${w.url}/#portal=hwk_acme_`), `portal URL: ${href}`);
    const portalToken = decodeURIComponent(href.slice(href.indexOf("#portal=") + "#portal=".length));

    const { ctx, page: p, requests } = await portalBrowser();
    await p.goto(href);
    await p.getByText("Portal — acme").waitFor();
    await p.locator('#hooks[data-tenant="acme"]').waitFor();
    const rows = await p.locator("#hooks tbody tr").allInnerTexts();
    assert.equal(rows.length, 1, `one hook: ${rows}`);
    assert.match(rows[0], /Acme orders/);
    assert.equal(await p.getByText("Default orders").count(), 0);
    assert.equal(await p.locator('a[href="#/tenants"]').count(), 0, "no Tenants link");
    assert.equal(await p.getByRole("link", { name: "Tenants" }).count(), 0, "no Tenants link");
    assert.equal(await p.getByLabel("Tenant", { exact: true }).count(), 0, "no tenant switcher");
    assert.equal(await p.locator("select#tenant").count(), 0, "no tenant switcher");
    const [where, stored, admin] = await p.evaluate(() => [location.href, sessionStorage.getItem("hookwing.portalToken"), sessionStorage.getItem("hookwing.adminToken")]);
    assert.ok(!where.includes(portalToken) && !where.includes("portal="), `the token left the address bar: ${where}`);
    assert.equal(stored, portalToken, "the token is in session storage");
    assert.equal(admin, null, "not as an admin token");
    await p.screenshot({ path: path.join(ARTIFACTS, "console-portal-1280.png"), fullPage: true });

    await p.getByRole("link", { name: "Acme orders" }).click();
    await p.getByRole("heading", { name: "Signing key" }).waitFor();
    await p.locator(".delivery-row, #deliveries .empty").first().waitFor();
    await p.evaluate(() => (location.hash = "#/tenants"));
    await p.getByText("Nothing here").waitFor();
    assert.equal(await p.getByRole("heading", { name: "Tenants" }).count(), 0, "no Tenants view in the portal");
    await p.goBack();
    await p.getByRole("heading", { name: "Signing key" }).waitFor();
    await p.goBack();
    await p.locator('#hooks[data-tenant="acme"]').waitFor();
    assert.ok(!(await p.evaluate(() => location.href)).includes(portalToken), "history holds no token either");

    await p.setViewportSize({ width: 375, height: 800 });
    await p.reload();
    await p.locator('#hooks[data-tenant="acme"]').waitFor();
    await noHorizontalScroll(p, "portal hook list");
    await p.screenshot({ path: path.join(ARTIFACTS, "console-portal-375.png"), fullPage: true });

    const apiCalls = requests.filter((r) => r.url.startsWith(`${w.url}/api/`) && !r.url.startsWith(`${w.url}/api/events/catalog`));
    assert.ok(apiCalls.length >= 4, `the portal called the API: ${apiCalls.map((r) => r.url)}`);
    assert.deepEqual(requests.filter((r) => r.url.includes(portalToken)).map((r) => r.url), [], "no request URL carries the token");
    assert.deepEqual(
      requests.flatMap((r) => Object.entries(r.headers).filter(([k, v]) => k !== "authorization" && v.includes(portalToken)).map(([k]) => `${r.url} ${k}`)),
      [],
      "no header but Authorization carries the token",
    );
    assert.deepEqual(apiCalls.filter((r) => r.headers.authorization !== `Bearer ${portalToken}`).map((r) => r.url), [], "every API call uses the portal token");
    assert.deepEqual(requests.filter((r) => "hookwing-tenant" in r.headers).map((r) => r.url), [], "no call names a tenant");
    assert.deepEqual(requests.filter((r) => new URL(r.url).pathname.startsWith("/api/tenants")).map((r) => r.url), [], "no tenant route is called");
    await ctx.close();
  });

  test("a revoked portal link, an expired portal token and a made-up one show the expired state, not the admin sign-in", async () => {
    const check = async (p, what) => {
      await p.getByRole("heading", { name: "This portal link has expired or was revoked" }).waitFor();
      assert.equal(await p.getByLabel("Admin token").count(), 0, `${what}: no admin sign-in form`);
      assert.equal(await p.locator("#hooks").count(), 0, `${what}: no hooks`);
    };

    // A portal session is one of the tenant's manage tokens: the operator revokes it from the list.
    const before = new Set((await w.admin("GET", "/api/tenants/acme/tokens")).json.map((tk) => tk.id));
    const portal = await w.admin("POST", "/api/tenants/acme/portal", { expiresInSeconds: 600 });
    assert.equal(portal.status, 201, portal.text);
    const added = (await w.admin("GET", "/api/tenants/acme/tokens")).json.filter((tk) => !before.has(tk.id));
    assert.equal(added.length, 1, `the portal session is listed: ${JSON.stringify(added)}`);
    let { ctx, page: p } = await portalBrowser();
    await p.goto(portal.json.url);
    await p.locator('#hooks[data-tenant="acme"]').waitFor();
    assert.equal((await w.admin("DELETE", `/api/tenants/acme/tokens/${added[0].id}`)).status, 204);
    await p.reload();
    await check(p, "revoked");
    await p.reload();
    await check(p, "revoked, after another reload");
    assert.ok(await p.getByText("Portal — acme").isVisible(), "the banner still names the tenant");
    await ctx.close();

    const expiring = await w.admin("POST", "/api/tenants/acme/tokens", { scope: "manage", name: "short-lived", expiresAt: Date.now() + 3000 });
    assert.equal(expiring.status, 201, expiring.text);
    ({ ctx, page: p } = await portalBrowser());
    await p.goto(`${w.url}/#portal=${expiring.json.token}`);
    await p.locator('#hooks[data-tenant="acme"]').waitFor();
    await until("the token to expire", async () => (await w.call("GET", "/api/hooks", { token: expiring.json.token })).status === 401, 10000);
    await p.getByRole("link", { name: "Acme orders" }).click();
    await check(p, "expired");
    await ctx.close();

    ({ ctx, page: p } = await portalBrowser());
    await p.goto(`${w.url}/#portal=hwk_acme_not-a-token-anyone-minted`);
    await check(p, "made up");
    await ctx.close();
  });

  test("the operator's tenant views and hook list with the switcher fit 375 px (screenshots at 1280 and 375 px)", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole("link", { name: "Tenants", exact: true }).click();
    await page.locator('[data-tenant-row="acme"]').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, "console-tenants-1280.png"), fullPage: true });
    await openTenant("Acme Inc");
    await page.getByRole("button", { name: "Mint token" }).click();
    await page.getByLabel("Token value").waitFor();
    await page.getByRole("button", { name: "Open portal link" }).click();
    await page.locator("#portal-link").waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, "console-tenant-1280.png"), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await noHorizontalScroll(page, "tenant page with a minted token and a portal link");
    await page.screenshot({ path: path.join(ARTIFACTS, "console-tenant-375.png"), fullPage: true });

    await page.getByRole("link", { name: "Tenants", exact: true }).click();
    await page.locator('[data-tenant-row="acme"]').waitFor();
    await noHorizontalScroll(page, "tenants view");
    await page.screenshot({ path: path.join(ARTIFACTS, "console-tenants-375.png"), fullPage: true });

    await page.getByRole("link", { name: "Hooks", exact: true }).click();
    await page.getByLabel("Tenant", { exact: true }).selectOption("acme");
    await page.locator('#hooks[data-tenant="acme"]').waitFor();
    assert.ok(await page.getByLabel("Tenant", { exact: true }).isVisible(), "the switcher shows at 375 px");
    await noHorizontalScroll(page, "hook list with the switcher");
    await page.screenshot({ path: path.join(ARTIFACTS, "console-tenant-hooks-375.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: path.join(ARTIFACTS, "console-tenant-hooks-1280.png"), fullPage: true });
  });
});

// Delivery health, one event's fan-out and one attempt opened up, with real deliveries to the
// loopback receiver: one hook whose endpoint always answers 2xx, one that fails three times.
describe("delivery health, events and attempts in the console", () => {
  let w;
  let rx;
  let browser;
  let page;
  const hooks = {};
  let failedEvent; // an event both hooks received; the flaky one answered 500
  const noHorizontalScroll = async (what) => {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `${what}: no horizontal scrolling at 375 px (scrollWidth ${width})`);
  };
  const shoot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  /** Screenshots at 1280 and 375 px (`<name>-1280`, `<name>-375`); no horizontal scroll at 375. */
  const shootBoth = async (name, what) => {
    await shoot(`${name}-1280`);
    await page.setViewportSize({ width: 375, height: 800 });
    await noHorizontalScroll(what);
    await shoot(`${name}-375`);
    await page.setViewportSize({ width: 1280, height: 900 });
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    rx = await startReceiver();
    w = await startWorker({ vars: { RETRY_SCHEDULE: "1" } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("dialog", (d) => d.accept());
    const create = async (name, url, events) => {
      const r = await w.admin("POST", "/api/hooks", { name, events, config: { url, retries: 0 } });
      assert.equal(r.status, 201, r.text);
      return r.json;
    };
    hooks.steady = await create("Billing", rx.url("/steady"), ["PostSignIn", "User.Created"]);
    hooks.flaky = await create("Audit", rx.url("/flaky"), ["PostSignIn"]);
    rx.behave("/steady", { status: 204, delayMs: 20 }, { status: 200, delayMs: 150 }, { status: 204 });
    rx.behave("/flaky", { status: 500, body: '{"error":"db down","token":"t0p"}', headers: { "x-receiver-trace": "t-1", "set-cookie": "session=s3cret" } }, { status: 500, body: "nope" }, { status: 503, body: "busy" }, { status: 204 });
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const r = await w.ingest({ event: "PostSignIn", userId: `u-${i}` });
      assert.equal(r.status, 202, r.text);
      ids.push(r.json);
    }
    // 22 more for the steady hook alone: its deliveries then span two pages of 20.
    const batch = await w.ingest(Array.from({ length: 22 }, (_, i) => ({ event: "User.Created", data: { n: i } })));
    assert.equal(batch.status, 202, batch.text);
    await until("every delivery to finish", async () => {
      const list = (await w.admin("GET", `/api/hooks/${hooks.flaky.id}/deliveries?page_size=50`)).json;
      const steady = (await w.admin("GET", `/api/hooks/${hooks.steady.id}/deliveries?page_size=50`)).json;
      return list.length === 5 && list.every((d) => ["succeeded", "failed"].includes(d.status)) && steady.length === 27 && steady.every((d) => d.status === "succeeded");
    }, 30000);
    // The event whose attempt got the receiver's first answer (a 500 with a JSON body).
    const first = rx.received("/flaky")[0].headers["webhook-id"];
    failedEvent = ids.find((e) => e.id === first);
    assert.ok(failedEvent, `the first request to /flaky carries one of our events: ${first}`);
    await page.goto(w.url + "/");
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Hooks" }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await w?.stop();
    await rx?.stop();
  });

  test("the hook list shows a 24 h trend per hook with the failures the receiver produced", async () => {
    const flaky = page.locator(`[data-trend="${hooks.flaky.id}"] svg.spark`);
    const steady = page.locator(`[data-trend="${hooks.steady.id}"] svg.spark`);
    await flaky.waitFor();
    await steady.waitFor();
    assert.equal(await flaky.getAttribute("data-failures"), "3");
    assert.ok((await flaky.locator("rect.bar-bad").count()) >= 1, "failures drawn in red");
    assert.equal(await steady.getAttribute("data-failures"), "0");
    assert.equal(await steady.locator("rect.bar-bad").count(), 0);
    assert.ok((await steady.locator("rect.bar-ok").count()) >= 1);
    assert.match(await flaky.getAttribute("aria-label"), /5 attempts, 3 failed/);
    await shootBoth("health-list", "hook list with trends");
  });

  test("a hook's charts show attempts per hour split success/failure and p50/p95 duration, for 24 h and 7 days", async () => {
    await page.getByRole("link", { name: "Audit" }).click();
    const chart = page.locator("#attempts-chart");
    await chart.waitFor();
    assert.deepEqual([await chart.getAttribute("data-requests"), await chart.getAttribute("data-failures")], ["5", "3"]);
    assert.ok((await chart.locator("rect.bar-bad").count()) >= 1);
    const api = (await w.admin("GET", `/api/hooks/${hooks.flaky.id}/stats/hourly?range=24h`)).json;
    const busy = api.hours.filter((x) => x.requestCount);
    assert.equal(busy.reduce((n, x) => n + x.failureCount, 0), 3, "the API counts the receiver's three 5xx");
    // The bucket's SQL gives exactly the nearest-rank percentiles of the recorded durations.
    const durations = new Map();
    for (const d of (await w.admin("GET", `/api/hooks/${hooks.flaky.id}/deliveries?page_size=50`)).json) {
      for (const a of (await w.admin("GET", `/api/deliveries/${d.id}`)).json.attempts) {
        const hour = a.startedAt - (a.startedAt % 3600000);
        durations.set(hour, [...(durations.get(hour) || []), a.durationMs]);
      }
    }
    const rank = (list, p) => [...list].sort((a, b) => a - b)[Math.max(1, Math.ceil((p * list.length) / 100)) - 1];
    for (const x of busy) {
      const list = durations.get(x.start) || [];
      assert.deepEqual([x.p50DurationMs, x.p95DurationMs], [rank(list, 50), rank(list, 95)], `hour ${x.start}: ${list}`);
    }
    assert.notEqual(await page.locator("#duration-chart path.p50").getAttribute("d"), "M0 0", "a p50 line is drawn");
    assert.match(await page.locator("#duration-chart figcaption").innerText(), /worst hourly p95 \d+ ms/);
    // Keyboard: the range buttons are real buttons.
    await page.getByRole("button", { name: "7 days" }).focus();
    await page.keyboard.press("Enter");
    await page.locator('#attempts-chart[data-range="7d"]').waitFor();
    assert.equal(await page.locator("#attempts-chart svg rect.bar-bad").count() >= 1, true);
    assert.equal(await page.getByRole("button", { name: "7 days" }).getAttribute("aria-pressed"), "true");
    await page.getByRole("button", { name: "24 hours" }).click();
    await page.locator('#attempts-chart[data-range="24h"]').waitFor();
    await page.locator(".stats-table summary").click();
    await page.locator(".stats-table tbody tr").first().waitFor();
    await shootBoth("health-hook", "hook page with charts");
  });

  test("deliveries filter by status and creation time, with paging", async () => {
    await page.goto(`${w.url}/#/hooks/${hooks.steady.id}`);
    await page.locator(".delivery-row").first().waitFor();
    assert.equal(await page.locator(".delivery-row").count(), 20);
    assert.match(await page.locator("#page-info").innerText(), /Page 1 of 2 · 27 deliveries/);
    await page.getByRole("button", { name: "Next" }).click();
    await page.locator("#page-info", { hasText: "Page 2 of 2" }).waitFor();
    assert.equal(await page.locator(".delivery-row").count(), 7);
    await page.goto(`${w.url}/#/hooks/${hooks.flaky.id}`);
    await page.locator(".delivery-row").first().waitFor();
    await page.locator("#status-filter").selectOption("failed");
    await page.locator("#page-info", { hasText: "3 deliveries" }).waitFor();
    assert.equal(await page.locator(".delivery-row").count(), 3);
    await page.locator("#from-filter").fill("2099-01-01T00:00");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.locator("#no-deliveries", { hasText: "No deliveries match these filters." }).waitFor();
    await page.locator("#from-filter").fill("");
    await page.locator("#to-filter").fill("2000-01-01T00:00");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.locator("#no-deliveries").waitFor();
    await page.locator("#to-filter").fill("");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.locator("#page-info", { hasText: "3 deliveries" }).waitFor();
  });

  test("an event page, found by id, shows the payload and every delivery it fanned out to", async () => {
    await page.locator("#event-q").fill(failedEvent.id);
    await page.locator("#event-q").press("Enter");
    await page.locator("#fanout").waitFor();
    const rows = page.locator(".fanout-row");
    assert.equal(await rows.count(), 2);
    assert.match(await page.locator(`.fanout-row[data-hook="${hooks.flaky.id}"]`).innerText(), /Audit[\s\S]*failed[\s\S]*1/);
    assert.match(await page.locator(`.fanout-row[data-hook="${hooks.steady.id}"]`).innerText(), /Billing[\s\S]*succeeded/);
    assert.match(await page.locator("#event-payload").innerText(), /"userId": "u-\d"/);
    assert.equal(await page.locator("#event-id").innerText(), failedEvent.id);
    await shootBoth("health-event", "event page");
    // Every delivery links here, and an unknown id is an empty state, not an error.
    await page.goto(`${w.url}/#/hooks/${hooks.flaky.id}`);
    const link = page.locator(`.delivery-row[data-delivery="${failedEvent.deliveries.find((d) => d.hookId === hooks.flaky.id).id}"] a.event-link`);
    await link.click();
    await page.locator("#fanout").waitFor();
    await page.locator("#event-q").fill("evt_doesnotexist");
    await page.locator("#event-q").press("Enter");
    await page.getByRole("heading", { name: "No such event" }).waitFor();
  });

  test("an attempt shows the exact request sent (both signatures, body) and the response, with the secret masked", async () => {
    const delivery = failedEvent.deliveries.find((d) => d.hookId === hooks.flaky.id).id;
    await page.goto(`${w.url}/#/deliveries/${delivery}`);
    await page.locator(".attempt-row").first().waitFor();
    await page.locator('.attempt-row[data-attempt="1"]').getByRole("link", { name: "Open attempt" }).click();
    await page.locator("#request-headers").waitFor();
    const sent = rx.received("/flaky").find((r) => r.headers["webhook-id"] === failedEvent.id);
    assert.ok(sent, "the receiver got the event");
    assert.equal(await page.locator("#request-body").innerText(), sent.body.toString());
    const headers = await page.locator("#request-headers").innerText();
    for (const name of ["logto-signature-sha-256", "webhook-signature", "webhook-timestamp", "webhook-id"]) {
      assert.ok(headers.includes(`${name}\n${sent.headers[name]}`) || headers.includes(sent.headers[name]), `${name} as received: ${sent.headers[name]}\n${headers}`);
    }
    assert.match(await page.locator("#response-body").innerText(), /"token":"\*\*\*\*\*\*"/);
    const responseHeaders = await page.locator("#response-headers").innerText();
    assert.match(responseHeaders, /x-receiver-trace\s+t-1/, "the failed attempt's response headers");
    assert.match(responseHeaders, /set-cookie\s+\*{6}/, "a cookie is masked");
    assert.ok(!(await page.locator("main").innerText()).includes("s3cret"));
    assert.match(await page.locator("#response-h").locator("..").innerText(), /500/);
    const masked = await page.locator("#masked-secret").innerText();
    assert.match(masked, /^whsec_.{4}…$/);
    const text = await page.locator("main").innerText();
    assert.ok(!text.includes(hooks.flaky.signingKey) && !text.includes(hooks.flaky.signingSecret), "the secret stays masked");
    assert.match(await page.locator("#request-note").innerText(), /current configuration and signing key/);
    await page.locator("#to-event").waitFor();
    await shootBoth("health-attempt", "attempt page");
    // A log entry links to its attempt too.
    await page.goto(`${w.url}/#/hooks/${hooks.flaky.id}`);
    await page.locator(".log-row a.attempt-link").first().click();
    await page.locator("#request-headers").waitFor();
  });

  test("after a retry the hook page refreshes its numbers, charts and the delivery without a reload", async () => {
    const delivery = failedEvent.deliveries.find((d) => d.hookId === hooks.flaky.id).id;
    await page.goto(`${w.url}/#/hooks/${hooks.flaky.id}`);
    await page.locator('#attempts-chart[data-requests="5"]').waitFor();
    assert.match(await page.locator("#numbers-24h").innerText(), /Requests \(24h\): 5/);
    const row = page.locator(`.delivery-row[data-delivery="${delivery}"]`);
    await row.getByRole("button", { name: "Retry" }).click();
    await page.locator('#attempts-chart[data-requests="6"]').waitFor({ timeout: 25000 });
    await page.locator("#numbers-24h", { hasText: "Requests (24h): 6" }).waitFor();
    await row.getByText("succeeded").waitFor();
    assert.equal(await row.locator("td[data-label=Attempts]").innerText(), "2");
  });

  test("a portal session finds its own tenant's events only", async () => {
    assert.equal((await w.admin("POST", "/api/tenants", { id: "shop", name: "Shop" })).status, 201);
    const hook = await w.call("POST", "/api/hooks", { token: ADMIN_TOKEN, headers: { "hookwing-tenant": "shop" }, body: { name: "Shop hook", events: ["PostSignIn"], config: { url: rx.url("/shop") } } });
    assert.equal(hook.status, 201, hook.text);
    const own = await w.call("POST", "/api/events", { token: INGEST_TOKEN, headers: { "hookwing-tenant": "shop" }, body: { event: "PostSignIn", userId: "shopper" } });
    assert.equal(own.status, 202, own.text);
    await until("shop's delivery", async () => (await w.call("GET", `/api/deliveries/${own.json.deliveries[0].id}`, { token: ADMIN_TOKEN, headers: { "hookwing-tenant": "shop" } })).json?.status === "succeeded");
    const portal = (await w.admin("POST", "/api/tenants/shop/portal", {})).json;
    const ctx = await browser.newContext({ viewport: { width: 375, height: 800 } });
    const p = await ctx.newPage();
    await p.goto(portal.url);
    await p.locator('#hooks[data-tenant="shop"]').waitFor();
    await p.locator("#event-q").fill(own.json.id);
    await p.locator("#event-q").press("Enter");
    await p.locator('.fanout-row', { hasText: "Shop hook" }).waitFor();
    await p.locator("#event-q").fill(failedEvent.id);
    await p.locator("#event-q").press("Enter");
    await p.getByRole("heading", { name: "No such event" }).waitFor();
    assert.equal(await p.locator("#fanout").count(), 0, "the default tenant's event is not shown to shop");
    await ctx.close();
  });

  test("every view has loading and error states, and dark mode follows the system", async () => {
    let release;
    const held = new Promise((r) => (release = r));
    await page.route("**/stats/hourly**", async (route) => {
      await held;
      await route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ code: "internal.server_error", message: "storage unavailable" }) });
    });
    await page.goto(`${w.url}/#/`);
    await page.locator("#hooks").waitFor();
    await page.goto(`${w.url}/#/hooks/${hooks.flaky.id}`);
    await page.locator("#charts .loading").waitFor();
    release();
    await page.locator("#charts .load-error", { hasText: "storage unavailable" }).waitFor();
    await page.unroute("**/stats/hourly**");
    await page.locator("#charts").getByRole("button", { name: "Try again" }).click();
    await page.locator("#attempts-chart").waitFor();
    await page.emulateMedia({ colorScheme: "dark" });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = bg.match(/\d+/g).map(Number);
    assert.ok(r + g + b < 120, `a dark background in dark mode, got ${bg}`);
    await shoot("health-hook-dark-1280");
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${w.url}/#/events/${failedEvent.id}`);
    await page.locator("#fanout").waitFor();
    await shoot("health-event-dark-375");
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 900 });
    // A hook with no attempts yet: empty states, not errors.
    const quiet = (await w.admin("POST", "/api/hooks", { name: "Quiet", events: ["Role.Created"], config: { url: rx.url("/quiet") } })).json;
    await page.goto(`${w.url}/#/hooks/${quiet.id}`);
    await page.locator("#no-attempts").waitFor();
    await page.locator("#no-deliveries", { hasText: "No deliveries yet." }).waitFor();
  });
});
