// End to end: the built Worker in workerd delivers signed events to a real loopback receiver.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { startWorker } from "./support/worker.mjs";
import { startReceiver } from "./support/receiver.mjs";
import { until } from "./support/util.mjs";

let worker;
let receiver;

before(async () => {
  receiver = await startReceiver();
  worker = await startWorker({ vars: { RETRY_SCHEDULE: "1,1,1" } });
});

after(async () => {
  await worker?.stop();
  await receiver?.stop();
});

async function createHook(path, extra = {}) {
  const res = await worker.admin("POST", "/api/hooks", {
    name: `hook for ${path}`,
    events: ["PostSignIn", "User.Created"],
    config: { url: receiver.url(path), ...extra },
  });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

test("health answers status and version without auth", async () => {
  const res = await worker.call("GET", "/api/health");
  assert.equal(res.status, 200);
  assert.equal(res.json.status, "ok");
  assert.match(res.json.version, /^\d+\.\d+\.\d+/);
});

test("unknown routes and wrong methods are JSON errors", async () => {
  const missing = await worker.call("GET", "/api/nope");
  assert.equal(missing.status, 404);
  assert.equal(missing.json.code, "route.not_found");
  const wrong = await worker.call("DELETE", "/api/health");
  assert.equal(wrong.status, 405);
  assert.equal(wrong.json.code, "route.method_not_allowed");
});

test("management and ingest routes need their own bearer token", async () => {
  assert.equal((await worker.call("GET", "/api/hooks")).json.code, "auth.unauthorized");
  const crossed = await worker.call("POST", "/api/events", { token: "test-admin-token", body: { event: "PostSignIn" } });
  assert.equal(crossed.status, 401);
});

test("a delivered event carries both signatures, verified independently", async () => {
  const hook = await createHook("/signed", { headers: { "x-tenant": "acme" } });
  const accepted = await worker.ingest({ event: "PostSignIn", userId: "u1", userIp: "203.0.113.7", hookId: "dropped" });
  assert.equal(accepted.status, 202, accepted.text);
  assert.match(accepted.json.id, /^evt_/);
  assert.deepEqual(accepted.json.deliveries.map((d) => d.hookId), [hook.id]);

  const [req] = await receiver.waitFor("/signed", 1);
  const body = req.body.toString("utf8");

  // The payload: the event's keys in order, createdAt after event, hookId appended last.
  assert.deepEqual(Object.keys(JSON.parse(body)), ["event", "createdAt", "userId", "userIp", "hookId"]);
  assert.equal(JSON.parse(body).hookId, hook.id);
  assert.equal(JSON.parse(body).createdAt, accepted.json.createdAt);

  // Logto's scheme, recomputed with node:crypto from the hook's signing key.
  const expected = createHmac("sha256", hook.signingKey).update(req.body).digest("hex");
  assert.equal(req.headers["logto-signature-sha-256"], expected);

  // Standard Webhooks, verified by the official library with the hook's signingSecret.
  assert.equal(req.headers["webhook-id"], accepted.json.id);
  const verified = new Webhook(hook.signingSecret).verify(body, {
    "webhook-id": req.headers["webhook-id"],
    "webhook-timestamp": req.headers["webhook-timestamp"],
    "webhook-signature": req.headers["webhook-signature"],
  });
  assert.equal(verified.hookId, hook.id);
  assert.throws(() =>
    new Webhook(hook.signingSecret).verify(body.replace("u1", "u2"), {
      "webhook-id": req.headers["webhook-id"],
      "webhook-timestamp": req.headers["webhook-timestamp"],
      "webhook-signature": req.headers["webhook-signature"],
    }),
  );

  assert.equal(req.headers["content-type"], "application/json");
  assert.match(req.headers["user-agent"], /^Hookwing\//);
  assert.equal(req.headers["x-tenant"], "acme");
});

test("an event reaches only the enabled hooks subscribed to it, with one webhook-id", async () => {
  await createHook("/fan-a");
  await createHook("/fan-b");
  const other = await worker.admin("POST", "/api/hooks", {
    events: ["Role.Created"],
    config: { url: receiver.url("/fan-other") },
  });
  assert.equal(other.status, 201);
  const disabled = await worker.admin("POST", "/api/hooks", {
    events: ["User.Created"],
    config: { url: receiver.url("/fan-disabled") },
    enabled: false,
  });
  assert.equal(disabled.status, 201);

  const accepted = await worker.ingest({ event: "User.Created", data: { id: "u9" } });
  assert.equal(accepted.status, 202);
  const [a] = await receiver.waitFor("/fan-a", 1);
  const [b] = await receiver.waitFor("/fan-b", 1);
  assert.equal(a.headers["webhook-id"], accepted.json.id);
  assert.equal(b.headers["webhook-id"], accepted.json.id);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(receiver.received("/fan-other").length, 0);
  assert.equal(receiver.received("/fan-disabled").length, 0);
});

test("a 500 is retried with the same webhook-id and a fresh signature", async () => {
  const hook = await createHook("/flaky");
  receiver.behave("/flaky", { status: 500, body: "boom" }, { status: 200 });
  const accepted = await worker.ingest({ event: "PostSignIn" });
  const [first, second] = await receiver.waitFor("/flaky", 2);
  assert.equal(first.headers["webhook-id"], accepted.json.id);
  assert.equal(second.headers["webhook-id"], accepted.json.id);
  assert.ok(Number(second.headers["webhook-timestamp"]) >= Number(first.headers["webhook-timestamp"]));
  const wh = new Webhook(hook.signingSecret);
  for (const r of [first, second]) {
    wh.verify(r.body.toString(), {
      "webhook-id": r.headers["webhook-id"],
      "webhook-timestamp": r.headers["webhook-timestamp"],
      "webhook-signature": r.headers["webhook-signature"],
    });
  }
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(receiver.received("/flaky").length, 2, "no attempt after the success");
});

test("redirects are not followed and count as failures", async () => {
  await createHook("/moved", { retries: 1 });
  receiver.behave("/moved", { redirect: "/moved-target", status: 302 });
  await worker.ingest({ event: "PostSignIn" });
  await receiver.waitFor("/moved", 2);
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(receiver.received("/moved").length, 2, "1 attempt + config.retries=1");
  assert.equal(receiver.received("/moved-target").length, 0);
});

test("a receiver that hangs past config.timeoutMs is timed out without holding up others", async () => {
  await createHook("/slow", { timeoutMs: 1000, retries: 1 });
  receiver.behave("/slow", { hang: true }, { status: 204 });
  await worker.ingest({ event: "PostSignIn" });
  // A timeout waits at least 60 s before its retry (overload rule), so only the first
  // attempt is seen here.
  const [slow] = await receiver.waitFor("/slow", 1);
  await createHook("/after-slow");
  await worker.ingest({ event: "User.Created" });
  const [after] = await receiver.waitFor("/after-slow", 1);
  assert.ok(after.at - slow.at < 1000, "the other delivery did not wait for the hanging one's timeout");
  await until("the attempt to be recorded as a timeout", () =>
    worker.output.some((line) => line.includes("Timed out after 1000 ms")));
});

test("a dropped connection is a failed attempt that is retried", async () => {
  await createHook("/drop", { retries: 2 });
  receiver.behave("/drop", { drop: true }, { status: 204 });
  await worker.ingest({ event: "PostSignIn" });
  await receiver.waitFor("/drop", 2);
});
