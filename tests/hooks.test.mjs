// End to end: the Logto-compatible management API on Workers KV, against the built Worker.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startWorker, ADMIN_TOKEN, INGEST_TOKEN } from "./support/worker.mjs";
import { record, attemptRow, dayOf } from "./support/buckets.mjs";

const VALID = { name: "crm", events: ["PostSignIn"], config: { url: "https://example.com/hook" } };

describe("hooks API (private targets allowed)", () => {
  let w;
  before(async () => {
    w = await startWorker();
  });
  after(() => w?.stop());

  test("create answers 201 with Logto's hook shape plus signingSecret", async () => {
    const res = await w.admin("POST", "/api/hooks", { ...VALID, events: ["PostSignIn", "User.Created", "PostSignIn"], extra: 1 });
    assert.equal(res.status, 201, res.text);
    const h = res.json;
    assert.deepEqual(Object.keys(h), ["tenantId", "id", "name", "event", "events", "config", "signingKey", "signingSecret", "enabled", "createdAt"]);
    assert.equal(h.tenantId, "default");
    assert.match(h.id, /^[0-9a-z]{21}$/);
    assert.match(h.signingKey, /^[0-9a-zA-Z]{32}$/);
    assert.equal(h.signingSecret, "whsec_" + Buffer.from(h.signingKey, "utf8").toString("base64"));
    assert.deepEqual(h.events, ["PostSignIn", "User.Created"], "duplicates removed, first kept");
    assert.equal(h.event, null);
    assert.equal(h.enabled, true);
    assert.ok(Math.abs(h.createdAt - Date.now()) < 60_000);
    assert.equal(h.extra, undefined, "unknown keys ignored");
  });

  test("get, list (newest first) and 404 for an unknown id", async () => {
    const a = (await w.admin("POST", "/api/hooks", VALID)).json;
    await new Promise((r) => setTimeout(r, 5));
    const b = (await w.admin("POST", "/api/hooks", VALID)).json;
    const one = await w.admin("GET", `/api/hooks/${a.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.json, a);
    const list = await w.admin("GET", "/api/hooks");
    const ids = list.json.map((h) => h.id);
    assert.ok(ids.indexOf(b.id) < ids.indexOf(a.id), "newest first");
    assert.equal(list.headers.get("total-number"), null, "no pagination headers unless asked");
    const missing = await w.admin("GET", "/api/hooks/doesnotexist000000000");
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, "entity.not_exists_with_id");
  });

  test("pagination sets Total-Number and Link, and rejects bad values", async () => {
    for (let i = 0; i < 3; i++) await w.admin("POST", "/api/hooks", VALID);
    const all = (await w.admin("GET", "/api/hooks")).json;
    const page = await w.admin("GET", "/api/hooks?page=2&page_size=2");
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("total-number"), String(all.length));
    assert.deepEqual(page.json.map((h) => h.id), all.slice(2, 4).map((h) => h.id));
    const link = page.headers.get("link");
    for (const rel of ["first", "prev", "last"]) assert.match(link, new RegExp(`rel="${rel}"`));
    assert.match(link, /<http:\/\/127\.0\.0\.1:\d+\/api\/hooks\?page_size=2&page=1>; rel="first"/);
    for (const q of ["page=0", "page_size=0", "page_size=101", "page=abc"]) {
      const bad = await w.admin("GET", `/api/hooks?${q}`);
      assert.equal(bad.status, 400, q);
      assert.equal(bad.json.code, "guard.invalid_pagination", q);
    }
  });

  test("executionStats counts the last 24 h of attempts from the hook's buckets", async () => {
    const h = (await w.admin("POST", "/api/hooks", VALID)).json;
    const now = Date.now();
    const attempts = [
      attemptRow("dlv_x", now - 1000, true),
      attemptRow("dlv_x", now - 2000, false, 2),
      attemptRow("dlv_x", now - 3000, true, 3),
      attemptRow("dlv_y", now - 25 * 3600 * 1000, true), // outside the window
    ];
    // Attempts are filed by the day they started.
    for (const day of new Set(attempts.map((a) => dayOf(a.startedAt)))) {
      await record(w, h.id, day, { attempts: attempts.filter((a) => dayOf(a.startedAt) === day) });
    }
    const one = await w.admin("GET", `/api/hooks/${h.id}?includeExecutionStats=true`);
    assert.deepEqual(one.json.executionStats, { requestCount: 3, successCount: 2 });
    const list = await w.admin("GET", "/api/hooks?includeExecutionStats=1");
    assert.deepEqual(list.json.find((x) => x.id === h.id).executionStats, { requestCount: 3, successCount: 2 });
    const other = list.json.find((x) => x.id !== h.id);
    assert.deepEqual(other.executionStats, { requestCount: 0, successCount: 0 });
    const without = await w.admin("GET", `/api/hooks/${h.id}`);
    assert.equal(without.json.executionStats, undefined);
  });

  test("PATCH changes only what is sent, replaces config, and never the key", async () => {
    const h = (await w.admin("POST", "/api/hooks", { ...VALID, config: { url: "https://example.com/a", headers: { "x-a": "1" } } })).json;
    const res = await w.admin("PATCH", `/api/hooks/${h.id}`, { name: "renamed", config: { url: "https://example.com/b" }, signingKey: "x".repeat(32) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.name, "renamed");
    assert.deepEqual(res.json.events, h.events);
    assert.deepEqual(res.json.config, { url: "https://example.com/b" });
    assert.equal(res.json.signingKey, h.signingKey);
    const disabled = await w.admin("PATCH", `/api/hooks/${h.id}`, { enabled: false });
    assert.equal(disabled.json.enabled, false);
    assert.equal((await w.admin("GET", `/api/hooks/${h.id}`)).json.enabled, false);
    const empty = await w.admin("PATCH", `/api/hooks/${h.id}`, {});
    assert.equal(empty.status, 200);
    const bad = await w.admin("PATCH", `/api/hooks/${h.id}`, { events: [] });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, "guard.invalid_input");
    const missing = await w.admin("PATCH", "/api/hooks/nope", { name: "x" });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, "entity.not_exists");
  });

  test("DELETE answers 204, then the hook is gone", async () => {
    const h = (await w.admin("POST", "/api/hooks", VALID)).json;
    const res = await w.admin("DELETE", `/api/hooks/${h.id}`);
    assert.equal(res.status, 204);
    assert.equal(res.text, "");
    assert.equal((await w.admin("GET", `/api/hooks/${h.id}`)).status, 404);
    const again = await w.admin("DELETE", `/api/hooks/${h.id}`);
    assert.equal(again.status, 404);
    assert.equal(again.json.code, "entity.not_found");
  });

  test("regenerating the signing key returns a new key and secret", async () => {
    const h = (await w.admin("POST", "/api/hooks", VALID)).json;
    const res = await w.admin("PATCH", `/api/hooks/${h.id}/signing-key`);
    assert.equal(res.status, 200);
    assert.notEqual(res.json.signingKey, h.signingKey);
    assert.match(res.json.signingKey, /^[0-9a-zA-Z]{32}$/);
    assert.equal(res.json.signingSecret, "whsec_" + Buffer.from(res.json.signingKey).toString("base64"));
    const graced = await w.admin("PATCH", `/api/hooks/${h.id}/signing-key`, { gracePeriodSeconds: 3600 });
    assert.equal(graced.status, 200);
    const tooLong = await w.admin("PATCH", `/api/hooks/${h.id}/signing-key`, { gracePeriodSeconds: 604801 });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.json.code, "guard.invalid_input");
    const missing = await w.admin("PATCH", "/api/hooks/nope/signing-key");
    assert.equal(missing.json.code, "entity.not_exists");
  });

  test("hook.missing_events and guard.invalid_input name the field", async () => {
    const none = await w.admin("POST", "/api/hooks", { config: { url: "https://example.com" } });
    assert.equal(none.status, 400);
    assert.equal(none.json.code, "hook.missing_events");
    const cases = [
      [{ ...VALID, name: "" }, "name"],
      [{ ...VALID, name: "x".repeat(257) }, "name"],
      [{ ...VALID, events: [] }, "events"],
      [{ ...VALID, events: ["Role.Scope.Updated"] }, "events[0]"],
      [{ ...VALID, event: "Nope", events: undefined }, "event"],
      [{ ...VALID, config: undefined }, "config"],
      [{ ...VALID, config: { url: 3 } }, "config.url"],
      [{ ...VALID, config: { url: "https://e.com", retries: 11 } }, "config.retries"],
      [{ ...VALID, config: { url: "https://e.com", retries: -1 } }, "config.retries"],
      [{ ...VALID, config: { url: "https://e.com", timeoutMs: 999 } }, "config.timeoutMs"],
      [{ ...VALID, config: { url: "https://e.com", timeoutMs: 30001 } }, "config.timeoutMs"],
      [{ ...VALID, enabled: "true" }, "enabled"],
    ];
    for (const [body, field] of cases) {
      const res = await w.admin("POST", "/api/hooks", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.code, "guard.invalid_input", JSON.stringify(body));
      assert.equal(res.json.details[0].path, field, JSON.stringify(body));
    }
  });

  test("header names must be tokens, values free of CR/LF/NUL, and reserved names refused", async () => {
    const rejected = [
      { "bad name": "v" },
      { "x:y": "v" },
      { "": "v" },
      { "x-a": "a\r\nInjected: 1" },
      { "x-a": "a\nb" },
      { "x-a": "a\u0000b" },
      { "logto-signature-sha-256": "forged" },
      { "Webhook-Signature": "v1,forged" },
      { "webhook-id": "x" },
      { "webhook-timestamp": "1" },
      { Host: "evil.example" },
      { "Content-Length": "1" },
      { "x-a": 1 },
    ];
    for (const headers of rejected) {
      const res = await w.admin("POST", "/api/hooks", { ...VALID, config: { url: "https://e.com", headers } });
      assert.equal(res.status, 400, JSON.stringify(headers));
      assert.equal(res.json.code, "guard.invalid_input", JSON.stringify(headers));
      assert.match(res.json.details[0].path, /^config\.headers/);
    }
    const ok = await w.admin("POST", "/api/hooks", { ...VALID, config: { url: "https://e.com", headers: { "x-api-key": "k", "User-Agent": "mine" } } });
    assert.equal(ok.status, 201);
  });

  test("malformed JSON, unknown routes and wrong methods are JSON errors", async () => {
    const bad = await w.call("POST", "/api/hooks", { token: ADMIN_TOKEN, body: "{not json" });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, "guard.invalid_input");
    const notObject = await w.call("POST", "/api/hooks", { token: ADMIN_TOKEN, body: "[1]" });
    assert.equal(notObject.status, 400);
    const route = await w.admin("GET", "/api/hooks/a/b");
    assert.equal(route.status, 404);
    assert.equal(route.json.code, "route.not_found");
    const method = await w.admin("PUT", "/api/hooks");
    assert.equal(method.status, 405);
    assert.equal(method.json.code, "route.method_not_allowed");
  });

  test("every management route needs the admin token; the ingest token does not open them", async () => {
    const h = (await w.admin("POST", "/api/hooks", VALID)).json;
    const routes = [
      ["GET", "/api/hooks"],
      ["POST", "/api/hooks"],
      ["GET", `/api/hooks/${h.id}`],
      ["PATCH", `/api/hooks/${h.id}`],
      ["DELETE", `/api/hooks/${h.id}`],
      ["PATCH", `/api/hooks/${h.id}/signing-key`],
    ];
    for (const [method, route] of routes) {
      for (const token of [undefined, INGEST_TOKEN, "wrong", ADMIN_TOKEN + "x"]) {
        const res = await w.call(method, route, { token, body: method === "GET" || method === "DELETE" ? undefined : VALID });
        assert.equal(res.status, 401, `${method} ${route} with ${token}`);
        assert.equal(res.json.code, "auth.unauthorized");
      }
    }
    assert.equal((await w.admin("GET", `/api/hooks/${h.id}`)).status, 200, "nothing was changed");
  });

  test("health, catalog and OpenAPI need no token", async () => {
    const catalog = await w.call("GET", "/api/events/catalog");
    assert.equal(catalog.status, 200);
    // Logto's 29 registrable events in Logto's order, then SPEC §11's 3 operational ones.
    assert.equal(catalog.json.length, 32);
    assert.deepEqual(catalog.json[0], { event: "PostRegister", category: "interaction" });
    assert.deepEqual(catalog.json[28], { event: "Grant.LimitExceeded", category: "exception" });
    assert.deepEqual(catalog.json.slice(29).map((e) => e.category), ["operational", "operational", "operational"]);
    const spec = await w.call("GET", "/api/openapi.json");
    assert.equal(spec.status, 200);
    assert.match(spec.json.openapi, /^3\.1/);
    assert.ok(spec.json.paths["/api/hooks/{id}/signing-key"].patch);
  });
});

describe("hooks API (deployed defaults: private targets refused)", () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { ALLOW_PRIVATE_TARGETS: "false" } });
  });
  after(() => w?.stop());

  const refused = [
    "http://localhost/hook",
    "http://LOCALHOST./hook",
    "http://api.localhost/hook",
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fe80::1]/",
    "http://[fd00:ec2::254]/",
    "http://user:pass@example.com/",
    "http://user@example.com/",
    "ftp://example.com/",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "not_work_url",
    "/relative",
  ];

  for (const url of refused) {
    test(`refuses ${url}`, async () => {
      const res = await w.admin("POST", "/api/hooks", { ...VALID, config: { url } });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.code, "guard.invalid_input");
      assert.equal(res.json.details[0].path, "config.url");
    });
  }

  test("public URLs are accepted, and PATCH applies the same policy", async () => {
    const ok = await w.admin("POST", "/api/hooks", { ...VALID, config: { url: "https://hooks.example.com/x?y=1" } });
    assert.equal(ok.status, 201);
    const patched = await w.admin("PATCH", `/api/hooks/${ok.json.id}`, { config: { url: "http://127.0.0.1/" } });
    assert.equal(patched.status, 400);
    assert.equal(patched.json.details[0].path, "config.url");
  });
});

describe("a Worker without token secrets", () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { ADMIN_TOKEN: "", INGEST_TOKEN: "" } });
  });
  after(() => w?.stop());

  test("answers 503 config.missing_secret and never falls back to a default token", async () => {
    for (const token of [undefined, "dev-admin-token", ""]) {
      const res = await w.call("GET", "/api/hooks", { token });
      assert.equal(res.status, 503);
      assert.equal(res.json.code, "config.missing_secret");
    }
    const ingest = await w.call("POST", "/api/events", { token: "dev-ingest-token", body: { event: "PostSignIn" } });
    assert.equal(ingest.status, 503);
    assert.equal(ingest.json.code, "config.missing_secret");
    assert.equal((await w.call("GET", "/api/health")).status, 200);
  });
});
