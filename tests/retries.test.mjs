// End to end: retries through Queues, dead letters, replay and the attempt log in the hook's
// delivery buckets
// (SPEC §5 and the log routes of §6), with RETRY_SCHEDULE=1,1,1.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { startWorker } from "./support/worker.mjs";
import { startReceiver } from "./support/receiver.mjs";
import { sleep, until, closedPort } from "./support/util.mjs";
import { record, usage, attemptRow, deliveryRow, dayOf, DAY_MS } from "./support/buckets.mjs";


function helpers(w, rx) {
  return {
    async hook(path, config = {}, events = ["PostSignIn"]) {
      const res = await w.admin("POST", "/api/hooks", { events, config: { url: rx.url(path), ...config } });
      assert.equal(res.status, 201, res.text);
      return res.json;
    },
    async send(body = { event: "PostSignIn" }) {
      const res = await w.ingest(body);
      assert.equal(res.status, 202, res.text);
      return res.json;
    },
    delivery: async (id) => (await w.admin("GET", `/api/deliveries/${id}`)).json,
    settled: (id, status, attempts) =>
      until(`delivery ${id} to be ${status} after ${attempts} attempt(s)`, async () => {
        const d = (await w.admin("GET", `/api/deliveries/${id}`)).json;
        return d && d.status === status && d.attempts?.length === attempts ? d : undefined;
      }),
  };
}

describe("retries and the delivery log", () => {
  let w;
  let rx;
  let h;
  let slow; // the timeout scenario runs in the background: its retry waits at least 48 s
  before(async () => {
    rx = await startReceiver();
    w = await startWorker({ vars: { RETRY_SCHEDULE: "1,1,1", DELIVERY_TIMEOUT_MS: "1000" } });
    h = helpers(w, rx);
    rx.behave("/hang", { hang: true }, { status: 204 });
    const hook = await h.hook("/hang", { retries: 1 }, ["Identifier.Lockout"]);
    const accepted = await h.send({ event: "Identifier.Lockout" });
    slow = { hook, accepted, started: Date.now() };
  });
  after(async () => {
    await w?.stop();
    await rx?.stop();
  });

  test("a receiver failing twice then succeeding gets exactly 3 attempts with one webhook-id", async () => {
    const hook = await h.hook("/flaky", {}, ["User.Created"]);
    rx.behave("/flaky", { status: 500 }, { status: 502 }, { status: 204 });
    const ev = await h.send({ event: "User.Created", n: 1 });
    const got = await rx.waitFor("/flaky", 3);
    const ids = new Set(got.map((r) => r.headers["webhook-id"]));
    assert.deepEqual([...ids], [ev.id]);
    const ts = got.map((r) => Number(r.headers["webhook-timestamp"]));
    assert.ok(ts[0] < ts[1] && ts[1] < ts[2], `fresh timestamps per attempt: ${ts}`);
    for (const r of got) {
      new Webhook(hook.signingSecret).verify(r.body.toString(), {
        "webhook-id": r.headers["webhook-id"],
        "webhook-timestamp": r.headers["webhook-timestamp"],
        "webhook-signature": r.headers["webhook-signature"],
      });
    }
    const d = await h.settled(ev.deliveries[0].id, "succeeded", 3);
    assert.deepEqual(d.attempts.map((a) => [a.number, a.result, a.responseStatus]), [[1, "Error", 500], [2, "Error", 502], [3, "Success", 204]]);
    await sleep(2500);
    assert.equal(rx.received("/flaky").length, 3, "nothing after the success");
  });

  test("an always-500 receiver gets exactly 1 + 3 attempts and the delivery ends failed", async () => {
    await h.hook("/down", {}, ["User.Deleted"]);
    rx.behave("/down", { status: 500, body: "still down" });
    const ev = await h.send({ event: "User.Deleted" });
    const d = await h.settled(ev.deliveries[0].id, "failed", 4);
    assert.equal(d.attemptCount, 4);
    assert.equal(d.lastError, "HTTP 500");
    assert.equal(d.attempts.at(-1).responseBody, "still down");
    assert.deepEqual(d.payload.event, "User.Deleted");
    await sleep(2500);
    assert.equal(rx.received("/down").length, 4);
  });

  test("config.retries=1 gives exactly 2 attempts", async () => {
    await h.hook("/once", { retries: 1 }, ["Role.Created"]);
    rx.behave("/once", { status: 503 });
    const ev = await h.send({ event: "Role.Created" });
    await h.settled(ev.deliveries[0].id, "failed", 2);
    await sleep(2500);
    assert.equal(rx.received("/once").length, 2);
  });

  test("recent logs and delivery details mask secrets that the receiver got in clear", async () => {
    const hook = await h.hook("/secrets", {}, ["OrganizationScope.Data.Updated"]);
    rx.behave("/secrets", { status: 200, body: '{"ok":true,"session_token":"rx-secret"}' });
    const ev = await h.send({ event: "OrganizationScope.Data.Updated", data: { id: "u1", password: "hunter2", profile: { apiKey: "k-1", name: "Ann" } } });
    assert.deepEqual(ev.deliveries.map((d) => d.hookId), [hook.id]);
    await h.settled(ev.deliveries[0].id, "succeeded", 1);
    const delivered = JSON.parse(rx.received("/secrets")[0].body);
    assert.deepEqual(delivered.data, { id: "u1", password: "hunter2", profile: { apiKey: "k-1", name: "Ann" } }, "delivered unmasked");
    const [entry] = (await w.admin("GET", `/api/hooks/${hook.id}/recent-logs`)).json;
    assert.deepEqual(entry.payload.hookRequest.body.data, { id: "u1", password: "******", profile: { apiKey: "******", name: "Ann" } });
    assert.deepEqual(entry.payload.response.body, { ok: true, session_token: "******" });
    const detail = (await w.admin("GET", `/api/deliveries/${ev.deliveries[0].id}`)).json;
    assert.equal(detail.payload.data.password, "******");
    assert.equal(detail.attempts[0].responseBody, '{"ok":true,"session_token":"******"}');
  });

  test("recent-logs and executionStats match what the receiver saw", async () => {
    const hook = await h.hook("/logged", {}, ["Role.Deleted"]);
    rx.behave("/logged", { status: 500, body: '{"why":"busy"}' }, { status: 200, body: "fine" });
    const ev = await h.send({ event: "Role.Deleted", userId: "u-logged" });
    await h.settled(ev.deliveries[0].id, "succeeded", 2);
    assert.equal(rx.received("/logged").length, 2);
    const logs = await w.admin("GET", `/api/hooks/${hook.id}/recent-logs`);
    assert.equal(logs.status, 200);
    assert.equal(logs.headers.get("total-number"), "2");
    assert.equal(logs.json.length, 2);
    const [newest, oldest] = logs.json;
    assert.equal(newest.key, "TriggerHook.Role.Deleted");
    assert.equal(newest.payload.result, "Success");
    assert.deepEqual(newest.payload.response, { statusCode: 200, body: "fine" });
    assert.equal(oldest.payload.result, "Error");
    assert.deepEqual(oldest.payload.response, { statusCode: 500, body: { why: "busy" } });
    assert.equal(oldest.payload.error, "HTTP 500");
    // The logged request body is exactly what the receiver got.
    assert.deepEqual(newest.payload.hookRequest.body, JSON.parse(rx.received("/logged")[1].body));
    const stats = (await w.admin("GET", `/api/hooks/${hook.id}?includeExecutionStats=true`)).json.executionStats;
    assert.deepEqual(stats, { requestCount: 2, successCount: 1 });
    const filtered = await w.admin("GET", `/api/hooks/${hook.id}/recent-logs?logKey=TriggerHook.User.Created`);
    assert.equal(filtered.json.length, 0);
    const listed = await w.admin("GET", `/api/hooks/${hook.id}/deliveries?status=succeeded`);
    assert.deepEqual(listed.json.map((d) => d.id), [ev.deliveries[0].id]);
    assert.equal(listed.headers.get("total-number"), "1");
  });

  test("a manual retry and a recover each add exactly one attempt", async () => {
    const hook = await h.hook("/replay", { retries: 0 }, ["Scope.Created"]);
    rx.behave("/replay", { status: 500 });
    const t0 = Date.now();
    const first = await h.send({ event: "Scope.Created" });
    const second = await h.send({ event: "Scope.Created" });
    await h.settled(first.deliveries[0].id, "failed", 1);
    await h.settled(second.deliveries[0].id, "failed", 1);
    assert.equal(rx.received("/replay").length, 2);

    rx.behave("/replay", { status: 204 });
    const retried = await w.admin("POST", `/api/deliveries/${first.deliveries[0].id}/retry`);
    assert.equal(retried.status, 202);
    assert.equal(retried.json.attempt, 2);
    await h.settled(first.deliveries[0].id, "succeeded", 2);
    assert.equal(rx.received("/replay").length, 3);

    const recovered = await w.admin("POST", `/api/hooks/${hook.id}/recover`, { since: new Date(t0 - 1000).toISOString() });
    assert.equal(recovered.status, 202);
    assert.equal(recovered.json.count, 1, "only the delivery still failed");
    await h.settled(second.deliveries[0].id, "succeeded", 2);
    await sleep(1500);
    assert.equal(rx.received("/replay").length, 4);
    assert.equal((await w.admin("POST", "/api/deliveries/dlv_nope/retry")).status, 404);
  });

  test("410 Gone disables the hook at once and stops retrying", async () => {
    const hook = await h.hook("/gone", {}, ["Scope.Deleted"]);
    rx.behave("/gone", { status: 410 });
    const ev = await h.send({ event: "Scope.Deleted" });
    await h.settled(ev.deliveries[0].id, "failed", 1);
    const after = await until("hook disabled", async () => {
      const got = (await w.admin("GET", `/api/hooks/${hook.id}`)).json;
      return got.enabled === false ? got : undefined;
    });
    assert.match(after.disabledReason, /410/);
    await sleep(2500);
    assert.equal(rx.received("/gone").length, 1);
    const again = await h.send({ event: "Scope.Deleted" });
    assert.deepEqual(again.deliveries, [], "a disabled hook gets nothing new");
  });

  test("deleting a hook drops its pending deliveries with a record", async () => {
    const hook = await h.hook("/deleted", {}, ["Organization.Created"]);
    rx.behave("/deleted", { status: 500 });
    const ev = await h.send({ event: "Organization.Created" });
    await rx.waitFor("/deleted", 1);
    assert.equal((await w.admin("DELETE", `/api/hooks/${hook.id}`)).status, 204);
    const d = await until("the drop to be recorded", async () => {
      const got = await h.delivery(ev.deliveries[0].id);
      return got?.lastError?.includes("hook deleted") ? got : undefined;
    });
    assert.equal(d.status, "failed");
    await sleep(1500);
    assert.equal(rx.received("/deleted").length, 1);
  });

  test("Logto's test send: 204 on 2xx, 422 with the response or the failure, never logged", async () => {
    const hook = await h.hook("/tested", {}, ["Organization.Deleted"]);
    const body = (url) => ({ events: ["PostSignIn", "User.Created"], config: { url } });
    rx.behave("/test-ok", { status: 200 });
    const ok = await w.admin("POST", `/api/hooks/${hook.id}/test`, body(rx.url("/test-ok")));
    assert.equal(ok.status, 204, ok.text);
    const sent = rx.received("/test-ok").map((r) => JSON.parse(r.body));
    assert.deepEqual(sent.map((p) => p.event).sort(), ["PostSignIn", "User.Created"]);
    assert.deepEqual(Object.keys(sent[0]).slice(0, 2), ["event", "hookId"]);

    rx.behave("/test-bad", { status: 400, body: "nope" });
    const bad = await w.admin("POST", `/api/hooks/${hook.id}/test`, body(rx.url("/test-bad")));
    assert.equal(bad.status, 422);
    assert.equal(bad.json.code, "hook.endpoint_responded_with_error");
    assert.deepEqual(bad.json.data, { responseStatus: 400, responseBody: "nope" });

    const closed = await closedPort();
    const failed = await w.admin("POST", `/api/hooks/${hook.id}/test`, body(`http://127.0.0.1:${closed}/nobody`));
    assert.equal(failed.status, 422);
    assert.equal(failed.json.code, "hook.send_test_payload_failed");
    assert.match(failed.json.message, /^Failed to send test payload: /);

    const logs = await w.admin("GET", `/api/hooks/${hook.id}/recent-logs`);
    assert.deepEqual(logs.json, [], "test sends are not logged");
  });

  test("a hanging receiver is timed out and retried after at least a minute", { timeout: 120000 }, async () => {
    const [first, second] = await rx.waitFor("/hang", 2, 90000);
    assert.equal(first.headers["webhook-id"], slow.accepted.id);
    assert.equal(second.headers["webhook-id"], slow.accepted.id);
    assert.ok(second.at - first.at >= 48000, `retry after a timeout waits ≥ 60 s ± 20 %, got ${second.at - first.at} ms`);
    const d = await h.settled(slow.accepted.deliveries[0].id, "succeeded", 2);
    assert.equal(d.attempts[0].error, "Timed out after 1000 ms");
    assert.equal(d.attempts[0].responseStatus, null);
  });
});

describe("Retry-After and auto-disable", () => {
  let w;
  let rx;
  let h;
  before(async () => {
    rx = await startReceiver();
    w = await startWorker({ vars: { RETRY_SCHEDULE: "2", AUTO_DISABLE_AFTER_HOURS: "0" } });
    h = helpers(w, rx);
  });
  after(async () => {
    await w?.stop();
    await rx?.stop();
  });

  test("Retry-After stretches the wait within [wait, 2×wait]", async () => {
    await h.hook("/later");
    await h.hook("/plain");
    rx.behave("/later", { status: 503, headers: { "retry-after": "30" } }, { status: 204 });
    rx.behave("/plain", { status: 503 }, { status: 204 });
    await h.send();
    const [a1, a2] = await rx.waitFor("/later", 2, 20000);
    const [p1, p2] = await rx.waitFor("/plain", 2, 20000);
    // Schedule 2 s: plain waits 1.6–2.4 s; Retry-After 30 s is clamped to 2×2 = 4 s (3.2–4.8 s).
    assert.ok(a2.at - a1.at >= 3000, `Retry-After honoured: ${a2.at - a1.at} ms`);
    assert.ok(a2.at - a1.at < 10000, `…but capped at twice the wait: ${a2.at - a1.at} ms`);
    assert.ok(p2.at - p1.at < a2.at - a1.at, "without Retry-After the wait is the schedule's");
  });

  test("a hook that only fails is disabled when a delivery exhausts its retries", async () => {
    const hook = await h.hook("/hopeless", {}, ["User.Data.Updated"]);
    rx.behave("/hopeless", { status: 500 });
    const ev = await h.send({ event: "User.Data.Updated" });
    await h.settled(ev.deliveries[0].id, "failed", 2);
    const got = await until("auto-disable", async () => {
      const x = (await w.admin("GET", `/api/hooks/${hook.id}`)).json;
      return x.enabled === false ? x : undefined;
    });
    assert.match(got.disabledReason, /failed for at least 0 hours/);
    const revived = await w.admin("PATCH", `/api/hooks/${hook.id}`, { enabled: true });
    assert.equal(revived.json.enabled, true);
    assert.equal(revived.json.disabledReason, undefined);
  });

  test("a message the consumer cannot read is retried, then dead-lettered and logged", async () => {
    const queue = await w.mf.getQueueProducer("DELIVERIES");
    await queue.send("this is not a delivery", { contentType: "text" });
    await until("the dead letter", async () => w.output.some((l) => l.includes("unreadable dead letter")), 20000);
    assert.ok(w.output.filter((l) => l.includes("unreadable delivery message")).length >= 1);
  });
});

describe("retention", () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { LOG_RETENTION_DAYS: "2" } });
  });
  after(() => w?.stop());

  test("a day's bucket deletes itself LOG_RETENTION_DAYS after the day, unless a delivery there still retries", async () => {
    const now = Date.now();
    const hookId = "retentionhook000000000";
    const old = dayOf(now) - 3; // expired: retention is 2 days
    const young = dayOf(now) - 1;
    await record(w, hookId, young, { deliveries: [deliveryRow("dlv_young", now - DAY_MS)], attempts: [attemptRow("dlv_young", now - DAY_MS, true)] });
    await record(w, hookId, old, { deliveries: [deliveryRow("dlv_old", now - 3 * DAY_MS)], attempts: [attemptRow("dlv_old", now - 3 * DAY_MS, true)] });
    const waiting = "retentionhook00000000w";
    await record(w, waiting, old, {
      deliveries: [deliveryRow("dlv_waiting", now - 3 * DAY_MS, "retrying", { nextAttemptAt: now + 3_600_000 })],
    });
    // The expired bucket's alarm (already due) removes everything in it.
    await until("the expired bucket to be deleted", async () => (await usage(w, hookId, old)).deliveries === 0, 10_000);
    assert.deepEqual(await usage(w, hookId, old), { requests: 0, rowsWritten: 0, rowsRead: 0, databaseBytes: 0, deliveries: 0, attempts: 0 });
    const kept = await usage(w, hookId, young);
    assert.deepEqual([kept.deliveries, kept.attempts], [1, 1]);
    await sleep(500);
    assert.equal((await usage(w, waiting, old)).deliveries, 1, "a delivery still retrying is kept");
  });
});
