// Tenants (SPEC §9) against the built Worker: isolation proven as a matrix (every
// tenant-scoped route × every kind of credential), deliveries checked at the receiver,
// tokens, relay keys, portal sessions, limits and bad input.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startWorker, ADMIN_TOKEN, INGEST_TOKEN } from "./support/worker.mjs";
import { startReceiver } from "./support/receiver.mjs";
import { until, sleep } from "./support/util.mjs";

const MAX_HOOKS = 3;

describe("tenants", () => {
  let w;
  let rx;
  /** Calls with a bearer token and optional `hookwing-tenant`. */
  const as = (token, tenant) => (method, route, body) =>
    w.call(method, route, { token, body, headers: tenant ? { "hookwing-tenant": tenant } : {} });
  const operator = (tenant) => as(ADMIN_TOKEN, tenant);
  const tokens = {};
  const acme = {};
  const globex = {};

  async function mint(tenant, scope, extra = {}) {
    const res = await operator()("POST", `/api/tenants/${tenant}/tokens`, { scope, ...extra });
    assert.equal(res.status, 201, res.text);
    return res.json;
  }

  async function hookIn(tenant, path) {
    const res = await operator(tenant)("POST", "/api/hooks", { events: ["PostSignIn"], config: { url: rx.url(path) } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.tenantId, tenant);
    return res.json;
  }

  before(async () => {
    rx = await startReceiver();
    w = await startWorker({ vars: { RETRY_SCHEDULE: "1,1,1", MAX_HOOKS_PER_TENANT: String(MAX_HOOKS) } });
    for (const [id, name] of [["acme", "Acme Inc."], ["globex", "Globex"]]) {
      const res = await operator()("POST", "/api/tenants", { id, name });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(Object.keys(res.json), ["id", "name", "createdAt", "relayKeySet"]);
    }
    acme.hook = await hookIn("acme", "/acme");
    globex.hook = await hookIn("globex", "/globex");
    tokens.acmeManage = (await mint("acme", "manage", { name: "acme admin" })).token;
    tokens.acmeIngest = (await mint("acme", "ingest")).token;
    tokens.globexManage = (await mint("globex", "manage")).token;
    tokens.globexIngest = (await mint("globex", "ingest")).token;
    const revoked = await mint("acme", "manage");
    assert.equal((await operator()("DELETE", `/api/tenants/acme/tokens/${revoked.id}`)).status, 204);
    tokens.revoked = revoked.token;
    const expiring = await mint("acme", "manage", { expiresAt: Date.now() + 1500 });
    tokens.expired = expiring.token;
    const portal = await operator()("POST", "/api/tenants/acme/portal", { expiresInSeconds: 600 });
    assert.equal(portal.status, 201, portal.text);
    tokens.portal = portal.json.token;
    // One delivery of acme's hook to address, failed so retry/recover have something to do.
    rx.behave("/acme", { status: 500 });
    const ev = await as(tokens.acmeIngest)("POST", "/api/events", { event: "PostSignIn", userId: "u-acme" });
    assert.equal(ev.status, 202, ev.text);
    acme.delivery = ev.json.deliveries[0].id;
    await rx.waitFor("/acme", 4, 20000);
    await until("acme's delivery to fail", async () => {
      const d = await as(tokens.acmeManage)("GET", `/api/deliveries/${acme.delivery}`);
      return d.json?.status === "failed";
    }, 20000);
    await sleep(Math.max(0, expiring.expiresAt - Date.now() + 50));
  });
  after(async () => {
    await w?.stop();
    await rx?.stop();
  });

  test("tokens start with hwk_, carry 32 random bytes, are listed without values, and the value is never stored", async () => {
    const made = await mint("acme", "ingest", { name: "ci" });
    assert.match(made.token, /^hwk_acme_[A-Za-z0-9_-]{43}$/);
    const list = await operator()("GET", "/api/tenants/acme/tokens");
    assert.equal(list.status, 200);
    const listed = list.json.find((t) => t.id === made.id);
    assert.deepEqual(listed, { id: made.id, scope: "ingest", name: "ci", createdAt: made.createdAt, expiresAt: null });
    assert.ok(!list.text.includes("hwk_"), "no token value in the list");
    const stored = await (await w.mf.getKVNamespace("HOOKS")).get("tenants/acme");
    assert.ok(!stored.includes(made.token) && !stored.includes(tokens.acmeManage), "only hashes are stored");
    assert.ok(list.json.every((t) => t.expiresAt === null || t.expiresAt > Date.now()), "expired tokens are not listed");
  });

  /**
   * Every tenant-scoped route, called on acme's resources. `ok` is acme's manage token's status;
   * `other` what globex's manage token gets for the same ids.
   */
  const routes = () => [
    { method: "GET", route: "/api/hooks", ok: 200, other: 200 },
    { method: "GET", route: `/api/hooks/${acme.hook.id}`, ok: 200, other: 404 },
    { method: "PATCH", route: `/api/hooks/${acme.hook.id}`, body: { name: "acme hook" }, ok: 200, other: 404 },
    { method: "PATCH", route: `/api/hooks/${acme.hook.id}/signing-key`, body: {}, ok: 200, other: 404 },
    { method: "POST", route: `/api/hooks/${acme.hook.id}/test`, body: { events: ["PostSignIn"], config: { url: rx.url("/acme-test") } }, ok: 204, other: 404 },
    { method: "GET", route: `/api/hooks/${acme.hook.id}/recent-logs`, ok: 200, other: 200 },
    { method: "GET", route: `/api/hooks/${acme.hook.id}/deliveries`, ok: 200, other: 404 },
    { method: "POST", route: `/api/hooks/${acme.hook.id}/recover`, body: { since: 0 }, ok: 202, other: 404 },
    { method: "GET", route: `/api/deliveries/${acme.delivery}`, ok: 200, other: 404 },
    { method: "POST", route: `/api/deliveries/${acme.delivery}/retry`, ok: 202, other: 404 },
  ];

  test("every tenant-scoped route answers each credential as §9 says", async () => {
    rx.behave("/acme", { status: 204 });
    for (const r of routes()) {
      const call = (token, tenant) => as(token, tenant)(r.method, r.route, r.body);
      const label = `${r.method} ${r.route}`;
      const own = await call(tokens.acmeManage);
      assert.equal(own.status, r.ok, `acme manage: ${label} ${own.text}`);
      const portal = await call(tokens.portal);
      assert.equal(portal.status, r.ok, `portal: ${label} ${portal.text}`);
      const operatorRes = await call(ADMIN_TOKEN, "acme");
      assert.equal(operatorRes.status, r.ok, `operator naming acme: ${label} ${operatorRes.text}`);
      const other = await call(tokens.globexManage);
      assert.equal(other.status, r.other, `globex manage: ${label} ${other.text}`);
      if (r.other === 200) {
        assert.ok(!other.text.includes("u-acme") && !other.text.includes(acme.hook.id), `globex sees nothing of acme: ${label}`);
      }
      const operatorDefault = await call(ADMIN_TOKEN);
      assert.equal(operatorDefault.status, r.other, `operator on default: ${label}`);
      for (const [who, token, status, code] of [
        ["acme ingest token", tokens.acmeIngest, 403, "auth.forbidden"],
        ["expired token", tokens.expired, 401, "auth.unauthorized"],
        ["revoked token", tokens.revoked, 401, "auth.unauthorized"],
        ["INGEST_TOKEN", INGEST_TOKEN, 401, "auth.unauthorized"],
        ["no token", undefined, 401, "auth.unauthorized"],
      ]) {
        const res = await call(token);
        assert.equal(res.status, status, `${who}: ${label}`);
        assert.equal(res.json.code, code, `${who}: ${label}`);
      }
      const crossed = await call(tokens.acmeManage, "globex");
      assert.deepEqual([crossed.status, crossed.json.code], [403, "auth.forbidden"], `acme token naming globex: ${label}`);
      const unknown = await call(ADMIN_TOKEN, "nobody");
      assert.deepEqual([unknown.status, unknown.json.code], [404, "tenant.not_found"], `unknown tenant: ${label}`);
      const malformed = await call(ADMIN_TOKEN, "Not_A_Tenant");
      assert.deepEqual([malformed.status, malformed.json.code], [400, "guard.invalid_input"], `malformed tenant: ${label}`);
    }
  });

  test("creating and deleting hooks: each credential gets the right status, and only in its tenant", async () => {
    const body = { events: ["PostSignIn"], config: { url: rx.url("/created") } };
    for (const [who, token, status] of [
      ["acme ingest", tokens.acmeIngest, 403], ["expired", tokens.expired, 401], ["revoked", tokens.revoked, 401],
      ["INGEST_TOKEN", INGEST_TOKEN, 401],
    ]) {
      assert.equal((await as(token)("POST", "/api/hooks", body)).status, status, `create: ${who}`);
    }
    assert.equal((await as(tokens.acmeManage, "globex")("POST", "/api/hooks", body)).status, 403);
    const theirs = await as(tokens.globexManage)("POST", "/api/hooks", body);
    assert.equal(theirs.json.tenantId, "globex");
    const mine = await as(tokens.portal)("POST", "/api/hooks", body);
    assert.equal(mine.json.tenantId, "acme");
    const route = `/api/hooks/${mine.json.id}`;
    for (const [who, token, tenant, status] of [
      ["globex manage", tokens.globexManage, undefined, 404], ["operator on default", ADMIN_TOKEN, undefined, 404],
      ["acme ingest", tokens.acmeIngest, undefined, 403], ["expired", tokens.expired, undefined, 401],
      ["revoked", tokens.revoked, undefined, 401], ["acme manage naming globex", tokens.acmeManage, "globex", 403],
    ]) {
      assert.equal((await as(token, tenant)("DELETE", route)).status, status, `delete: ${who}`);
    }
    assert.equal((await as(tokens.acmeManage)("GET", route)).status, 200, "still there");
    assert.equal((await as(tokens.portal)("DELETE", route)).status, 204);
    assert.equal((await as(ADMIN_TOKEN, "globex")("DELETE", `/api/hooks/${theirs.json.id}`)).status, 204);
  });

  test("another tenant's hook or delivery answers exactly like a missing one", async () => {
    for (const [route, missing] of [
      [`/api/hooks/${acme.hook.id}`, "/api/hooks/aaaaaaaaaaaaaaaaaaaaa"],
      [`/api/deliveries/${acme.delivery}`, `/api/deliveries/${acme.delivery.slice(0, -1)}x`],
    ]) {
      const theirs = await as(tokens.globexManage)("GET", route);
      const none = await as(tokens.acmeManage)("GET", missing);
      assert.equal(theirs.status, 404);
      assert.equal(theirs.json.code, none.json.code);
      const id = route.split("/").pop();
      assert.equal(theirs.json.message, none.json.message.replace(missing.split("/").pop(), id));
    }
  });

  test("ingest and tenant administration: each credential gets the right status", async () => {
    const event = { event: "User.Created" };
    for (const [who, token, tenant, status] of [
      ["acme ingest", tokens.acmeIngest, undefined, 202],
      ["INGEST_TOKEN naming acme", INGEST_TOKEN, "acme", 202],
      ["acme ingest naming globex", tokens.acmeIngest, "globex", 403],
      ["acme manage", tokens.acmeManage, undefined, 403],
      ["portal", tokens.portal, undefined, 403],
      ["expired", tokens.expired, undefined, 401],
      ["revoked", tokens.revoked, undefined, 401],
      ["ADMIN_TOKEN", ADMIN_TOKEN, undefined, 401],
      ["INGEST_TOKEN naming nobody", INGEST_TOKEN, "nobody", 404],
    ]) {
      assert.equal((await as(token, tenant)("POST", "/api/events", event)).status, status, who);
    }
    const admin = [
      ["GET", "/api/tenants"], ["POST", "/api/tenants", { name: "x" }], ["GET", "/api/tenants/acme"],
      ["PATCH", "/api/tenants/acme", { name: "x" }], ["DELETE", "/api/tenants/acme"],
      ["GET", "/api/tenants/acme/tokens"], ["POST", "/api/tenants/acme/tokens", { scope: "manage" }],
      ["DELETE", "/api/tenants/acme/tokens/tok_x"], ["POST", "/api/tenants/acme/portal", {}],
    ];
    for (const [method, route, body] of admin) {
      for (const [who, token, status] of [
        ["acme manage", tokens.acmeManage, 403], ["portal", tokens.portal, 403], ["acme ingest", tokens.acmeIngest, 403],
        ["expired", tokens.expired, 401], ["revoked", tokens.revoked, 401], ["INGEST_TOKEN", INGEST_TOKEN, 401],
      ]) {
        const res = await as(token)(method, route, body);
        assert.equal(res.status, status, `${who}: ${method} ${route}`);
      }
    }
    assert.equal((await operator()("GET", "/api/tenants/acme")).json.name, "Acme Inc.", "nothing changed");
    for (const [who, token, tenant, status] of [
      ["acme manage", tokens.acmeManage, "acme", 204], ["portal", tokens.portal, "acme", 204],
      ["operator", ADMIN_TOKEN, "acme", 204], ["globex manage", tokens.globexManage, "acme", 403],
      ["acme ingest", tokens.acmeIngest, "acme", 403], ["expired", tokens.expired, "acme", 401],
      ["revoked", tokens.revoked, "acme", 401], ["operator, unknown tenant", ADMIN_TOKEN, "nobody", 404],
    ]) {
      const res = await as(token)("PUT", `/api/tenants/${tenant}/relay`, { signingKey: "acme-relay-key" });
      assert.equal(res.status, status, `relay key: ${who}`);
    }
  });

  test("an ingest for one tenant reaches only that tenant's receivers", async () => {
    const def = await hookIn("default", "/default");
    const sends = [
      [as(tokens.acmeIngest), "acme"],
      [as(INGEST_TOKEN, "acme"), "acme"],
      [as(tokens.globexIngest), "globex"],
      [as(INGEST_TOKEN), "default"],
    ];
    for (const [send, tenant] of sends) {
      const res = await send("POST", "/api/events", { event: "PostSignIn", userId: `for-${tenant}` });
      assert.equal(res.status, 202, res.text);
      const expected = { acme: acme.hook.id, globex: globex.hook.id, default: def.id }[tenant];
      assert.deepEqual(res.json.deliveries.map((d) => d.hookId), [expected]);
    }
    // Earlier tests' retries of acme's first event may still arrive: count only these sends.
    const users = (path) => rx.received(path).map((r) => JSON.parse(r.body).userId).filter((u) => u?.startsWith("for-"));
    await until("every send to arrive", () => users("/acme").length >= 2 && users("/globex").length >= 1 && users("/default").length >= 1);
    await sleep(1000);
    assert.deepEqual(users("/acme"), ["for-acme", "for-acme"]);
    assert.deepEqual(users("/globex"), ["for-globex"]);
    assert.deepEqual(users("/default"), ["for-default"]);
    for (const r of rx.received("/globex")) assert.equal(JSON.parse(r.body).hookId, globex.hook.id);
  });

  test("an Idempotency-Key is remembered per tenant", async () => {
    const send = (token, tenant) => w.call("POST", "/api/events", {
      token, body: { event: "PostSignIn" }, headers: { "idempotency-key": "same-key", ...(tenant ? { "hookwing-tenant": tenant } : {}) },
    });
    const a = await send(INGEST_TOKEN, "acme");
    const b = await send(INGEST_TOKEN, "globex");
    const again = await send(tokens.acmeIngest);
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.notEqual(a.json.id, b.json.id, "globex's request is its own");
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.json.id, a.json.id);
  });

  test("the tenant relay verifies with the tenant's key and ingests into that tenant only", async () => {
    const before = rx.received("/acme").length;
    const body = JSON.stringify({ event: "PostSignIn", hookId: "logto-hook", userId: "relayed" });
    const sign = (key) => createHmac("sha256", key).update(body).digest("hex");
    const relay = (tenant, key) => w.call("POST", `/api/relay/logto/${tenant}`, { body, headers: { "logto-signature-sha-256": sign(key) } });
    assert.equal((await operator()("PUT", "/api/tenants/acme/relay", { signingKey: "acme-relay-key" })).status, 204);
    assert.equal((await operator()("GET", "/api/tenants/acme")).json.relayKeySet, true);
    const ok = await relay("acme", "acme-relay-key");
    assert.equal(ok.status, 202, ok.text);
    assert.deepEqual(ok.json.deliveries.map((d) => d.hookId), [acme.hook.id]);
    const [got] = (await rx.waitFor("/acme", before + 1)).slice(before);
    assert.equal(JSON.parse(got.body).userId, "relayed");
    assert.deepEqual([(await relay("acme", "wrong")).json.code], ["relay.invalid_signature"]);
    assert.equal((await relay("globex", "acme-relay-key")).status, 401, "globex has no relay key");
    assert.deepEqual([(await relay("nobody", "x")).status, (await relay("nobody", "x")).json.code], [404, "tenant.not_found"]);
    assert.equal((await operator()("DELETE", "/api/tenants/acme/relay")).status, 204);
    assert.equal((await relay("acme", "acme-relay-key")).status, 401, "removed key: refused");
  });

  test("bad tenant input is a 400 naming the field, and nothing accepted before is lost", async () => {
    const tenantsBefore = (await operator()("GET", "/api/tenants")).json;
    const tokensBefore = (await operator()("GET", "/api/tenants/acme/tokens")).json;
    const hooksBefore = (await operator("acme")("GET", "/api/hooks")).json;
    for (const [route, body, path] of [
      ["/api/tenants", { id: "Bad_Id", name: "x" }, "id"],
      ["/api/tenants", { id: "-starts-with-dash", name: "x" }, "id"],
      ["/api/tenants", { id: "a".repeat(64), name: "x" }, "id"],
      ["/api/tenants", { name: "n".repeat(129) }, "name"],
      ["/api/tenants", { name: "" }, "name"],
      ["/api/tenants", {}, "name"],
      ["/api/tenants/acme/tokens", { scope: "admin" }, "scope"],
      ["/api/tenants/acme/tokens", {}, "scope"],
      ["/api/tenants/acme/tokens", { scope: "ingest", expiresAt: Date.now() - 1000 }, "expiresAt"],
      ["/api/tenants/acme/tokens", { scope: "ingest", name: "n".repeat(129) }, "name"],
      ["/api/tenants/acme/portal", { expiresInSeconds: 59 }, "expiresInSeconds"],
      ["/api/tenants/acme/portal", { expiresInSeconds: 86401 }, "expiresInSeconds"],
    ]) {
      const res = await operator()("POST", route, body);
      assert.equal(res.status, 400, `${route} ${JSON.stringify(body).slice(0, 60)}`);
      assert.equal(res.json.code, "guard.invalid_input");
      assert.equal(res.json.details[0].path, path);
    }
    const patch = await operator()("PATCH", "/api/tenants/acme", { name: "" });
    assert.deepEqual([patch.status, patch.json.details[0].path], [400, "name"]);
    const relay = await operator()("PUT", "/api/tenants/acme/relay", { signingKey: 7 });
    assert.deepEqual([relay.status, relay.json.details[0].path], [400, "signingKey"]);
    assert.deepEqual((await operator()("GET", "/api/tenants")).json, tenantsBefore);
    assert.deepEqual((await operator()("GET", "/api/tenants/acme/tokens")).json, tokensBefore);
    assert.deepEqual((await operator("acme")("GET", "/api/hooks")).json, hooksBefore);
    const dup = await operator()("POST", "/api/tenants", { id: "acme", name: "again" });
    assert.deepEqual([dup.status, dup.json.code], [409, "tenant.already_exists"]);
    const def = await operator()("POST", "/api/tenants", { id: "default", name: "again" });
    assert.equal(def.status, 409, "default always exists");
    const del = await operator()("DELETE", "/api/tenants/default");
    assert.deepEqual([del.status, del.json.code], [400, "tenant.default_is_permanent"]);
    assert.equal((await operator()("GET", "/api/tenants/acme")).json.name, "Acme Inc.");
  });

  test("tenants list default first, then newest first, paginated like hooks", async () => {
    const made = await operator()("POST", "/api/tenants", { name: "Generated" });
    assert.equal(made.status, 201);
    assert.match(made.json.id, /^[a-z0-9][a-z0-9-]{0,62}$/);
    const all = await operator()("GET", "/api/tenants");
    assert.deepEqual(all.json.slice(0, 2).map((t) => t.id), ["default", made.json.id]);
    assert.ok(["acme", "globex"].every((id) => all.json.some((t) => t.id === id)));
    const page = await operator()("GET", "/api/tenants?page=1&page_size=1");
    assert.deepEqual(page.json.map((t) => t.id), ["default"]);
    assert.equal(page.headers.get("total-number"), String(all.json.length));
    const renamed = await operator()("PATCH", `/api/tenants/${made.json.id}`, { name: "Renamed" });
    assert.equal(renamed.json.name, "Renamed");
  });

  test(`MAX_HOOKS_PER_TENANT (${MAX_HOOKS}) refuses one more hook with hook.limit_reached, per tenant`, async () => {
    assert.equal((await operator()("POST", "/api/tenants", { id: "full", name: "Full" })).status, 201);
    for (let i = 0; i < MAX_HOOKS; i++) await hookIn("full", `/full-${i}`);
    const over = await operator("full")("POST", "/api/hooks", { events: ["PostSignIn"], config: { url: rx.url("/full-x") } });
    assert.deepEqual([over.status, over.json.code], [400, "hook.limit_reached"]);
    assert.equal((await operator("full")("GET", "/api/hooks")).json.length, MAX_HOOKS);
    await hookIn("globex", "/globex-2");
  });

  test("revoking a token refuses it at once; deleting a tenant stops its hooks and tokens at once", async () => {
    const t = await mint("globex", "manage");
    assert.equal((await as(t.token)("GET", "/api/hooks")).status, 200);
    assert.equal((await operator()("DELETE", `/api/tenants/globex/tokens/${t.id}`)).status, 204);
    assert.equal((await as(t.token)("GET", "/api/hooks")).status, 401);
    assert.equal((await operator()("DELETE", `/api/tenants/globex/tokens/${t.id}`)).status, 404);

    rx.behave("/globex", { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    const before = rx.received("/globex").length;
    const ev = await as(tokens.globexIngest)("POST", "/api/events", { event: "PostSignIn" });
    assert.equal(ev.status, 202);
    await rx.waitFor("/globex", before + 1);
    assert.equal((await operator()("DELETE", "/api/tenants/globex")).status, 204);
    assert.equal((await operator()("GET", "/api/tenants/globex")).status, 404);
    assert.equal((await as(tokens.globexIngest)("POST", "/api/events", { event: "PostSignIn" })).status, 401);
    assert.equal((await as(tokens.globexManage)("GET", "/api/hooks")).status, 401);
    assert.equal((await as(INGEST_TOKEN, "globex")("POST", "/api/events", { event: "PostSignIn" })).status, 404);
    await sleep(4000); // the retry schedule is 1 s: retries would have arrived by now
    assert.equal(rx.received("/globex").length, before + 1, "no retry reaches a deleted tenant's hook");
    const recreated = await operator()("POST", "/api/tenants", { id: "globex", name: "Globex again" });
    assert.equal(recreated.status, 201);
    assert.equal((await as(ADMIN_TOKEN, "globex")("GET", `/api/hooks/${globex.hook.id}`)).status, 404, "a new tenant with the same id starts empty");
    assert.equal((await as(ADMIN_TOKEN, "globex")("GET", `/api/hooks/${globex.hook.id}/recent-logs`)).json.length, 0);
  });
});

describe("a tenant's lost retry, after a restart", () => {
  test("is re-enqueued by its bucket's sweep into its own tenant and delivered", { timeout: 90_000 }, async () => {
    const rx = await startReceiver();
    const dir = mkdtempSync(path.join(tmpdir(), "hookwing-tenant-sweep-"));
    // The retry waits 20 s in the queue; the restart loses it (local queues live in memory).
    const vars = { RETRY_SCHEDULE: "20", SWEEP_AFTER_SECONDS: "1" };
    let w = await startWorker({ vars, persistTo: dir });
    try {
      assert.equal((await w.admin("POST", "/api/tenants", { id: "acme", name: "Acme" })).status, 201);
      const hook = await w.call("POST", "/api/hooks", {
        token: ADMIN_TOKEN, headers: { "hookwing-tenant": "acme" }, body: { events: ["PostSignIn"], config: { url: rx.url("/acme") } },
      });
      rx.behave("/acme", { status: 500 }, { status: 204 });
      const ev = await w.call("POST", "/api/events", { token: INGEST_TOKEN, headers: { "hookwing-tenant": "acme" }, body: { event: "PostSignIn" } });
      assert.deepEqual(ev.json.deliveries.map((d) => d.hookId), [hook.json.id]);
      const id = ev.json.deliveries[0].id;
      const read = () => w.call("GET", `/api/deliveries/${id}`, { token: ADMIN_TOKEN, headers: { "hookwing-tenant": "acme" } });
      await until("the first attempt to be recorded", async () => (await read()).json?.status === "retrying");
      await w.stop();
      w = await startWorker({ vars, persistTo: dir });
      // The retry was due in ~20 s: the sweep sends it once it is 1 s overdue.
      await rx.waitFor("/acme", 2, 60_000);
      const done = await until("the delivery to succeed", async () => {
        const d = (await read()).json;
        return d?.status === "succeeded" ? d : undefined;
      }, 20_000);
      assert.equal(done.attempts.length, 2);
      assert.equal(JSON.parse(rx.received("/acme")[1].body).hookId, hook.json.id);
    } finally {
      await w.stop();
      await rx.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
