// Delivery controls (SPEC §11): pause and resume, rate limit, max in flight, ordered hooks, and
// operational events.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./support/worker.mjs";
import { startReceiver } from "./support/receiver.mjs";
import { createHmac } from "node:crypto";
import { until, sleep } from "./support/util.mjs";

describe("pause and resume", () => {
  let w;
  let rx;
  before(async () => {
    rx = await startReceiver();
    w = await startWorker({ vars: { RETRY_SCHEDULE: "1,1,1" } });
  });
  after(async () => {
    await w?.stop();
    await rx?.stop();
  });

  async function hookAt(path, event) {
    const res = await w.admin("POST", "/api/hooks", { events: [event], config: { url: rx.url(path) } });
    assert.equal(res.status, 201, res.text);
    return res.json;
  }
  const deliveries = async (hook, status) =>
    (await w.admin("GET", `/api/hooks/${hook.id}/deliveries${status ? `?status=${status}` : ""}`)).json;

  test("paused: nothing arrives and deliveries are held; resumed: each arrives once and succeeds", async () => {
    const hook = await hookAt("/paused", "User.Created");
    const paused = await w.admin("POST", `/api/hooks/${hook.id}/pause`);
    assert.equal(paused.status, 200);
    assert.equal(paused.json.paused, true);
    assert.equal((await w.admin("GET", `/api/hooks/${hook.id}`)).json.paused, true);
    const ids = [];
    for (let n = 0; n < 5; n++) {
      const res = await w.ingest({ event: "User.Created", n });
      assert.equal(res.status, 202);
      ids.push(res.json.deliveries[0].id);
    }
    await sleep(1500);
    assert.equal(rx.received("/paused").length, 0, "nothing is sent while paused");
    assert.equal((await deliveries(hook, "held")).length, 5);
    const resumed = await w.admin("POST", `/api/hooks/${hook.id}/resume`);
    assert.equal(resumed.status, 200);
    assert.equal(resumed.json.paused, undefined, "an unpaused hook has Logto's shape");
    await rx.waitFor("/paused", 5);
    await until("all five to succeed", async () => (await deliveries(hook, "succeeded")).length === 5);
    await sleep(1000);
    const ns = rx.received("/paused").map((r) => JSON.parse(r.body).n).sort();
    assert.deepEqual(ns, [0, 1, 2, 3, 4], "each exactly once");
    for (const id of ids) {
      const d = (await w.admin("GET", `/api/deliveries/${id}`)).json;
      assert.equal(d.attempts.length, 1, "one attempt, the first: waiting used no retry");
    }
  });

  test("a retry that falls due while paused is held, and made after resume without using a retry", async () => {
    const hook = await hookAt("/flaky", "User.Deleted");
    rx.behave("/flaky", { status: 500 }, { status: 204 });
    const ev = await w.ingest({ event: "User.Deleted" });
    await rx.waitFor("/flaky", 1);
    await w.admin("POST", `/api/hooks/${hook.id}/pause`);
    const id = ev.json.deliveries[0].id;
    const held = await until("the due retry to be held", async () => {
      const d = (await w.admin("GET", `/api/deliveries/${id}`)).json;
      return d.status === "held" ? d : undefined;
    });
    assert.equal(held.attemptCount, 1);
    assert.equal(rx.received("/flaky").length, 1, "not attempted while paused");
    await w.admin("POST", `/api/hooks/${hook.id}/resume`);
    await rx.waitFor("/flaky", 2);
    const done = await until("the retry to succeed", async () => {
      const d = (await w.admin("GET", `/api/deliveries/${id}`)).json;
      return d.status === "succeeded" ? d : undefined;
    });
    assert.deepEqual(done.attempts.map((a) => [a.number, a.result]), [[1, "Error"], [2, "Success"]]);
  });

  test("synced delivery to a paused hook answers held; pausing an unknown hook is 404", async () => {
    const hook = await hookAt("/synced", "Role.Created");
    await w.admin("POST", `/api/hooks/${hook.id}/pause`);
    const res = await w.call("POST", "/api/events?wait=true", { token: "test-ingest-token", body: { event: "Role.Created" } });
    assert.equal(res.status, 200);
    assert.equal(res.json.deliveries[0].status, "held");
    assert.equal(rx.received("/synced").length, 0);
    for (const route of ["pause", "resume"]) {
      const res = await w.admin("POST", `/api/hooks/aaaaaaaaaaaaaaaaaaaaa/${route}`);
      assert.deepEqual([res.status, res.json.code], [404, "entity.not_exists"]);
    }
  });
});

describe("operational events", () => {
  let w;
  let rx;
  before(async () => {
    rx = await startReceiver();
    w = await startWorker({ vars: { RETRY_SCHEDULE: "1" } });
  });
  after(async () => {
    await w?.stop();
    await rx?.stop();
  });

  async function hookAt(path, events, config = {}, tenant) {
    const res = await w.call("POST", "/api/hooks", {
      token: "test-admin-token",
      headers: tenant ? { "hookwing-tenant": tenant } : {},
      body: { events, config: { url: rx.url(path), ...config } },
    });
    assert.equal(res.status, 201, res.text);
    return res.json;
  }
  const OPS = ["Hook.Disabled", "Delivery.Exhausted", "Hook.Recovered"];
  const received = (path, event) => rx.received(path).map((r) => JSON.parse(r.body)).filter((b) => !event || b.event === event);

  test("producers cannot send operational events: 400 event.reserved", async () => {
    for (const event of OPS) {
      const res = await w.ingest({ event });
      assert.deepEqual([res.status, res.json.code], [400, "event.reserved"], event);
    }
  });

  test("exhaustion, then recovery, reach the tenant's subscribed hooks signed, with the spec's fields, never recursively", async () => {
    assert.equal((await w.admin("POST", "/api/tenants", { id: "other", name: "Other" })).status, 201);
    const elsewhere = await hookAt("/other-ops", OPS, {}, "other");
    const ops = await hookAt("/ops", OPS);
    await hookAt("/ops-broken", ["Delivery.Exhausted"], { retries: 0 });
    rx.behave("/ops-broken", { status: 500 });
    const failing = await hookAt("/failing", ["Organization.Created"], { retries: 0 });
    rx.behave("/failing", { status: 500, body: "nope" }, { status: 204 });
    const ev = await w.ingest({ event: "Organization.Created" });
    const [got] = await rx.waitFor("/ops", 1);
    const body = JSON.parse(got.body);
    assert.deepEqual(Object.keys(body), ["event", "createdAt", "deliveryId", "subjectHookId", "eventId", "failedEvent", "lastError", "hookId"]);
    assert.deepEqual(
      [body.event, body.deliveryId, body.subjectHookId, body.eventId, body.failedEvent, body.hookId],
      ["Delivery.Exhausted", ev.json.deliveries[0].id, failing.id, ev.json.id, "Organization.Created", ops.id],
    );
    assert.match(body.lastError, /500/);
    const expected = createHmac("sha256", ops.signingKey).update(got.body).digest("hex");
    assert.equal(got.headers["logto-signature-sha-256"], expected, "signed like any delivery");
    assert.ok(got.headers["webhook-signature"]?.startsWith("v1,"));
    // The broken ops hook's own exhausted delivery emits nothing more.
    await rx.waitFor("/ops-broken", 1);
    await sleep(2500);
    assert.equal(received("/ops", "Delivery.Exhausted").length, 1, "never recursive");
    assert.equal(rx.received("/other-ops").length, 0, "another tenant hears nothing");

    const ok = await w.ingest({ event: "Organization.Created" });
    await until("Hook.Recovered", () => received("/ops", "Hook.Recovered").length === 1);
    const recovered = received("/ops", "Hook.Recovered")[0];
    assert.deepEqual(Object.keys(recovered), ["event", "createdAt", "subjectHookId", "deliveryId", "hookId"]);
    assert.deepEqual([recovered.subjectHookId, recovered.deliveryId], [failing.id, ok.json.deliveries[0].id]);
    await w.ingest({ event: "Organization.Created" });
    await sleep(1500);
    assert.equal(received("/ops", "Hook.Recovered").length, 1, "only the first success after the exhaustion");
    assert.equal(elsewhere.tenantId, "other");
  });

  test("a hook disabled by a 410 emits Hook.Disabled with the reason", async () => {
    const gone = await hookAt("/gone", ["Role.Deleted"]);
    rx.behave("/gone", { status: 410 });
    await w.ingest({ event: "Role.Deleted" });
    await until("Hook.Disabled", () => received("/ops", "Hook.Disabled").length === 1);
    const disabled = received("/ops", "Hook.Disabled")[0];
    assert.deepEqual(Object.keys(disabled), ["event", "createdAt", "subjectHookId", "reason", "hookId"]);
    assert.equal(disabled.subjectHookId, gone.id);
    assert.match(disabled.reason, /410/);
    assert.equal((await w.admin("GET", `/api/hooks/${gone.id}`)).json.enabled, false);
  });
});

describe("rate limit and max in flight", () => {
  let w;
  let rx;
  before(async () => {
    rx = await startReceiver();
    w = await startWorker({ vars: { RETRY_SCHEDULE: "1" } });
  });
  after(async () => {
    await w?.stop();
    await rx?.stop();
  });

  async function hookAt(path, event, config) {
    const res = await w.admin("POST", "/api/hooks", { events: [event], config: { url: rx.url(path), ...config } });
    assert.equal(res.status, 201, res.text);
    return res.json;
  }
  async function burst(event, n) {
    const ids = [];
    await Promise.all(Array.from({ length: n }, async (_, i) => {
      const res = await w.ingest({ event, n: i });
      assert.equal(res.status, 202);
      ids.push(res.json.deliveries[0].id);
    }));
    return ids;
  }
  async function oneAttemptEach(ids) {
    for (const id of ids) {
      const d = (await w.admin("GET", `/api/deliveries/${id}`)).json;
      assert.equal(d.status, "succeeded");
      assert.equal(d.attempts.length, 1, "waiting for a slot is not a failed attempt");
    }
  }

  test("rateLimit.perSecond 2: never more than 2 starts in any second, every delivery arrives once", { timeout: 60_000 }, async () => {
    const hook = await hookAt("/rated", "Scope.Created", { rateLimit: { perSecond: 2 } });
    assert.deepEqual(hook.config.rateLimit, { perSecond: 2 });
    const ids = await burst("Scope.Created", 8);
    const got = await rx.waitFor("/rated", 8, 30_000);
    const at = got.map((r) => r.at).sort((a, b) => a - b);
    for (let i = 2; i < at.length; i++) {
      assert.ok(at[i] - at[i - 2] >= 950, `arrivals ${i - 2} and ${i} only ${at[i] - at[i - 2]} ms apart`);
    }
    const perSecond = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length));
    console.log(`rate limit 2/s: 8 deliveries over ${at.at(-1) - at[0]} ms, at most ${perSecond} in any second`);
    await until("all recorded", async () => (await w.admin("GET", `/api/hooks/${hook.id}/deliveries?status=succeeded`)).json.length === 8);
    await oneAttemptEach(ids);
  });

  test("maxInFlight 1 against a slow receiver: it never sees two requests at once", { timeout: 60_000 }, async () => {
    rx.behave("/single", { status: 204, delayMs: 300 });
    const hook = await hookAt("/single", "Scope.Deleted", { maxInFlight: 1 });
    const ids = await burst("Scope.Deleted", 5);
    await rx.waitFor("/single", 5, 30_000);
    await until("all recorded", async () => (await w.admin("GET", `/api/hooks/${hook.id}/deliveries?status=succeeded`)).json.length === 5, 30_000);
    console.log(`maxInFlight 1: the receiver saw at most ${rx.maxConcurrent("/single")} at once`);
    assert.equal(rx.maxConcurrent("/single"), 1);
    await oneAttemptEach(ids);
  });

  test("bad limits are 400 with details naming the field", async () => {
    for (const [config, path] of [
      [{ rateLimit: { perSecond: 0 } }, "config.rateLimit.perSecond"],
      [{ rateLimit: { perSecond: 1001 } }, "config.rateLimit.perSecond"],
      [{ maxInFlight: 0 }, "config.maxInFlight"],
      [{ maxInFlight: 101 }, "config.maxInFlight"],
      [{ ordered: "yes" }, "config.ordered"],
      [{ ordered: 1 }, "config.ordered"],
    ]) {
      const res = await w.admin("POST", "/api/hooks", { events: ["Scope.Created"], config: { url: rx.url("/x"), ...config } });
      assert.deepEqual([res.status, res.json.code, res.json.details[0].path], [400, "guard.invalid_input", path]);
    }
  });
});

describe("ordered hooks", () => {
  let w;
  let rx;
  before(async () => {
    rx = await startReceiver();
    // Three attempts per delivery, a second apart.
    w = await startWorker({ vars: { RETRY_SCHEDULE: "1,1" } });
  });
  after(async () => {
    await w?.stop();
    await rx?.stop();
  });

  async function orderedHook(path, event) {
    const res = await w.admin("POST", "/api/hooks", { events: [event], config: { url: rx.url(path), ordered: true } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.config.ordered, true);
    return res.json;
  }
  const arrivals = (path) => rx.received(path).map((r) => JSON.parse(r.body).n);
  const delivery = async (id) => (await w.admin("GET", `/api/deliveries/${id}`)).json;
  const settled = (id) => until(`${id} to settle`, async () => {
    const d = await delivery(id);
    return ["succeeded", "failed"].includes(d.status) ? d : undefined;
  }, 30_000);

  test("a retrying head holds the rest; they arrive one at a time in ingest order (batch in array order)", { timeout: 60_000 }, async () => {
    rx.behave("/ordered", { status: 500 }, { status: 500 }, { status: 204, delayMs: 100 });
    await orderedHook("/ordered", "Role.Created");
    const batch = await w.ingest([0, 1, 2].map((n) => ({ event: "Role.Created", n })));
    assert.equal(batch.status, 202);
    const ids = batch.json.map((e) => e.deliveries[0].id);
    for (let n = 3; n < 6; n++) {
      const res = await w.ingest({ event: "Role.Created", n });
      assert.equal(res.status, 202);
      ids.push(res.json.deliveries[0].id);
    }
    await sleep(1200);
    assert.deepEqual(arrivals("/ordered"), [0, 0], "only the head, retrying, while the others wait");
    const waiting = await delivery(ids[1]);
    assert.deepEqual([waiting.status, waiting.attempts.length], ["pending", 0], "waiting is not an attempt");
    await rx.waitFor("/ordered", 8, 30_000);
    for (const id of ids) await settled(id);
    await sleep(500);
    assert.deepEqual(arrivals("/ordered"), [0, 0, 0, 1, 2, 3, 4, 5], "the head three times, then in ingest order, each once");
    assert.equal(rx.maxConcurrent("/ordered"), 1, "one at a time");
    const attempts = await Promise.all(ids.map(async (id) => (await delivery(id)).attempts.length));
    assert.deepEqual(attempts, [3, 1, 1, 1, 1, 1], "waiting used no retry");
  });

  test("a head that exhausts its retries lets the next go; a retried delivery joins the end of the line", { timeout: 60_000 }, async () => {
    rx.behave("/ordered-dead", { status: 500 }, { status: 500 }, { status: 500 }, { status: 204, delayMs: 400 });
    const hook = await orderedHook("/ordered-dead", "Role.Deleted");
    const ids = [];
    for (let n = 0; n < 3; n++) ids.push((await w.ingest({ event: "Role.Deleted", n })).json.deliveries[0].id);
    const dead = await settled(ids[0]);
    assert.equal(dead.status, "failed");
    for (const id of ids.slice(1)) {
      const d = await settled(id);
      assert.equal(d.status, "succeeded", JSON.stringify(d));
    }
    assert.deepEqual(arrivals("/ordered-dead"), [0, 0, 0, 1, 2]);
    // Two new events join the line, then the dead letter is retried: it goes after them.
    for (let n = 3; n < 5; n++) ids.push((await w.ingest({ event: "Role.Deleted", n })).json.deliveries[0].id);
    const retry = await w.admin("POST", `/api/deliveries/${ids[0]}/retry`);
    assert.equal(retry.status, 202, retry.text);
    await rx.waitFor("/ordered-dead", 8, 30_000);
    assert.deepEqual(arrivals("/ordered-dead"), [0, 0, 0, 1, 2, 3, 4, 0]);
    await until("the retried dead letter to be recorded", async () => (await delivery(ids[0])).status === "succeeded");
    assert.equal(rx.maxConcurrent("/ordered-dead"), 1);
    assert.equal((await w.admin("GET", `/api/hooks/${hook.id}/deliveries?status=pending`)).json.length, 0);
  });

  test("paused: nothing arrives; resumed: each arrives once, in ingest order", { timeout: 60_000 }, async () => {
    rx.behave("/ordered-paused", { status: 204, delayMs: 50 });
    const hook = await orderedHook("/ordered-paused", "Organization.Created");
    await w.admin("POST", `/api/hooks/${hook.id}/pause`);
    const ids = [];
    for (let n = 0; n < 6; n++) ids.push((await w.ingest({ event: "Organization.Created", n })).json.deliveries[0].id);
    await sleep(1500);
    assert.equal(rx.received("/ordered-paused").length, 0, "nothing while paused");
    assert.equal((await w.admin("GET", `/api/hooks/${hook.id}/deliveries?status=held`)).json.length, 6);
    assert.equal((await w.admin("POST", `/api/hooks/${hook.id}/resume`)).status, 200);
    await rx.waitFor("/ordered-paused", 6, 30_000);
    for (const id of ids) assert.equal((await settled(id)).status, "succeeded");
    await sleep(500);
    assert.deepEqual(arrivals("/ordered-paused"), [0, 1, 2, 3, 4, 5]);
    assert.equal(rx.maxConcurrent("/ordered-paused"), 1);
  });

  test("turning ordering off releases what waits behind a failing head at once", { timeout: 60_000 }, async () => {
    rx.behave("/ordered-off", { status: 500 }, { status: 500 }, { status: 204 });
    const hook = await orderedHook("/ordered-off", "Organization.Deleted");
    for (let n = 0; n < 3; n++) await w.ingest({ event: "Organization.Deleted", n });
    await rx.waitFor("/ordered-off", 1);
    const patch = await w.admin("PATCH", `/api/hooks/${hook.id}`, { config: { url: rx.url("/ordered-off") } });
    assert.equal(patch.status, 200, patch.text);
    assert.equal(patch.json.config.ordered, undefined);
    await rx.waitFor("/ordered-off", 5, 30_000);
    assert.deepEqual([...new Set(arrivals("/ordered-off"))].sort(), [0, 1, 2], "everything arrives");
  });
});
