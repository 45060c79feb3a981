// The admin console in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): sign in, create a hook, see it listed, send a test, see a recent log after
// an event, retry a failed delivery. Screenshots at 375 px and 1280 px go to tests/artifacts/.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { startWorker, ROOT, ADMIN_TOKEN } from "./support/worker.mjs";
import { startReceiver } from "./support/receiver.mjs";
import { until } from "./support/util.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ARTIFACTS = path.join(ROOT, "tests/artifacts");

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
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    });
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
