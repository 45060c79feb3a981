// End to end: event ingestion (SPEC §3) and the delivered request (SPEC §4).
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { startWorker, INGEST_TOKEN, ADMIN_TOKEN } from "./support/worker.mjs";
import { startReceiver } from "./support/receiver.mjs";
import { sleep } from "./support/util.mjs";

const RELAY_KEY = "relay-signing-key-for-tests";
const headersOf = (r) => ({
  "webhook-id": r.headers["webhook-id"],
  "webhook-timestamp": r.headers["webhook-timestamp"],
  "webhook-signature": r.headers["webhook-signature"],
});

describe("ingestion", () => {
  let w;
  let rx;
  before(async () => {
    rx = await startReceiver();
    w = await startWorker({ vars: { RETRY_SCHEDULE: "1,1,1", LOGTO_RELAY_SIGNING_KEY: RELAY_KEY } });
  });
  after(async () => {
    await w?.stop();
    await rx?.stop();
  });

  async function hook(path, events = ["PostSignIn", "User.Created"], config = {}) {
    const res = await w.admin("POST", "/api/hooks", { events, config: { url: rx.url(path), ...config } });
    assert.equal(res.status, 201, res.text);
    return res.json;
  }

  test("a repeated Idempotency-Key replays the first answer and delivers once", async () => {
    await hook("/idem");
    const send = () =>
      w.call("POST", "/api/events", { token: INGEST_TOKEN, body: { event: "PostSignIn", n: 1 }, headers: { "idempotency-key": "order-42" } });
    const first = await send();
    const second = await send();
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.deepEqual(second.json, first.json);
    assert.equal(second.headers.get("idempotent-replayed"), "true");
    await rx.waitFor("/idem", 1);
    await sleep(1500);
    assert.equal(rx.received("/idem").length, 1);
    const other = await w.call("POST", "/api/events", { token: INGEST_TOKEN, body: { event: "PostSignIn" }, headers: { "idempotency-key": "order-43" } });
    assert.notEqual(other.json.id, first.json.id);
    const tooLong = await w.call("POST", "/api/events", { token: INGEST_TOKEN, body: { event: "PostSignIn" }, headers: { "idempotency-key": "k".repeat(256) } });
    assert.equal(tooLong.status, 400);
  });

  test("a batch answers one entry per event, each delivered with its own webhook-id", async () => {
    await hook("/batch");
    const res = await w.ingest([{ event: "PostSignIn", i: 0 }, { event: "User.Created", i: 1 }, { event: "PostSignIn", i: 2 }]);
    assert.equal(res.status, 202, res.text);
    assert.equal(res.json.length, 3);
    const got = await rx.waitFor("/batch", 3);
    const ids = new Set(got.map((r) => r.headers["webhook-id"]));
    assert.deepEqual(ids, new Set(res.json.map((e) => e.id)));
    const order = got.map((r) => JSON.parse(r.body).i).sort();
    assert.deepEqual(order, [0, 1, 2]);
  });

  test("createdAt given by the producer is kept, hookId from the producer is replaced", async () => {
    const h = await hook("/created");
    await w.ingest({ hookId: "fake", createdAt: "2024-01-02T03:04:05.678Z", event: "PostSignIn", data: { a: [1, { b: null }] } });
    const [r] = await rx.waitFor("/created", 1);
    assert.equal(r.body.toString(), `{"createdAt":"2024-01-02T03:04:05.678Z","event":"PostSignIn","data":{"a":[1,{"b":null}]},"hookId":"${h.id}"}`);
  });

  test("?wait=true answers 200 with each first attempt's result and still retries failures", async () => {
    await hook("/sync-ok");
    await hook("/sync-fail");
    rx.behave("/sync-ok", { status: 200, body: '{"ok":true}' });
    rx.behave("/sync-fail", { status: 503, body: "down" }, { status: 204 });
    const res = await w.ingest({ event: "PostSignIn" }, "?wait=true");
    assert.equal(res.status, 200, res.text);
    const byPath = Object.fromEntries(
      await Promise.all(
        res.json.deliveries.map(async (d) => [
          (await w.admin("GET", `/api/hooks/${d.hookId}`)).json.config.url.replace(/^.*\d/, ""),
          d,
        ]),
      ),
    );
    assert.equal(byPath["/sync-ok"].status, "succeeded");
    assert.equal(byPath["/sync-ok"].responseStatus, 200);
    assert.equal(byPath["/sync-ok"].responseBody, '{"ok":true}');
    assert.equal(typeof byPath["/sync-ok"].durationMs, "number");
    assert.equal(byPath["/sync-fail"].status, "retrying");
    assert.equal(byPath["/sync-fail"].responseStatus, 503);
    assert.equal(byPath["/sync-fail"].responseBody, "down");
    assert.equal(rx.received("/sync-ok").length, 1, "attempted before the answer");
    await rx.waitFor("/sync-fail", 2);
  });

  test("relay from Logto accepts a good signature and refuses a forged one", async () => {
    const h = await hook("/relay");
    const body = JSON.stringify({ event: "User.Created", createdAt: "2025-08-21T12:00:00.000Z", data: { id: "u1" }, hookId: "logto0000000000000001" });
    const sig = createHmac("sha256", RELAY_KEY).update(body).digest("hex");
    const ok = await w.call("POST", "/api/relay/logto", { body, headers: { "logto-signature-sha-256": sig } });
    assert.equal(ok.status, 202, ok.text);
    const [r] = await rx.waitFor("/relay", 1);
    assert.equal(JSON.parse(r.body).hookId, h.id, "Logto's hookId is replaced by ours");
    for (const forged of [createHmac("sha256", "wrong").update(body).digest("hex"), "", "zz"]) {
      const res = await w.call("POST", "/api/relay/logto", { body, headers: { "logto-signature-sha-256": forged } });
      assert.equal(res.status, 401);
      assert.equal(res.json.code, "relay.invalid_signature");
    }
    const tampered = await w.call("POST", "/api/relay/logto", { body: body.replace("u1", "u2"), headers: { "logto-signature-sha-256": sig } });
    assert.equal(tampered.status, 401);
  });

  test("oversize events and batches are 413 event.too_large", async () => {
    const big = await w.ingest({ event: "PostSignIn", pad: "x".repeat(100 * 1024) });
    assert.equal(big.status, 413);
    assert.equal(big.json.code, "event.too_large");
    const batch = Array.from({ length: 12 }, () => ({ event: "PostSignIn", pad: "y".repeat(90 * 1024) }));
    const huge = await w.ingest(batch);
    assert.equal(huge.status, 413);
    assert.equal(huge.json.code, "event.too_large");
    const justUnder = await w.ingest({ event: "PostSignIn", pad: "z".repeat(100 * 1024 - 100) });
    assert.equal(justUnder.status, 202, justUnder.text);
  });

  test("bad events are 400 with a code", async () => {
    const unknown = await w.ingest({ event: "User.Updated" });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.code, "event.unknown_event");
    for (const body of ["{", "[]", "42", '"x"', "[1]", '{"noevent":1}', JSON.stringify(Array(101).fill({ event: "PostSignIn" }))]) {
      const res = await w.call("POST", "/api/events", { token: INGEST_TOKEN, body });
      assert.equal(res.status, 400, body.slice(0, 40));
      assert.ok(res.json.code, body.slice(0, 40));
    }
  });

  test("ingest needs the ingest token", async () => {
    for (const token of [undefined, "wrong", ADMIN_TOKEN]) {
      const res = await w.call("POST", "/api/events", { token, body: { event: "PostSignIn" } });
      assert.equal(res.status, 401);
      assert.equal(res.json.code, "auth.unauthorized");
    }
  });

  test("during a key rotation grace period both the old and the new secret verify", async () => {
    const h = await hook("/rotate");
    const rotated = (await w.admin("PATCH", `/api/hooks/${h.id}/signing-key`, { gracePeriodSeconds: 600 })).json;
    await w.ingest({ event: "PostSignIn" });
    const [r] = await rx.waitFor("/rotate", 1);
    assert.equal(r.headers["webhook-signature"].split(" ").length, 2);
    new Webhook(rotated.signingSecret).verify(r.body.toString(), headersOf(r));
    new Webhook(h.signingSecret).verify(r.body.toString(), headersOf(r));
    // Logto's header always uses the current key only.
    assert.equal(r.headers["logto-signature-sha-256"], createHmac("sha256", rotated.signingKey).update(r.body).digest("hex"));
    // Without a grace period every earlier secret stops verifying at once.
    const again = (await w.admin("PATCH", `/api/hooks/${h.id}/signing-key`)).json;
    await w.ingest({ event: "PostSignIn" });
    const [, r2] = await rx.waitFor("/rotate", 2);
    assert.equal(r2.headers["webhook-signature"].split(" ").length, 1);
    new Webhook(again.signingSecret).verify(r2.body.toString(), headersOf(r2));
    for (const old of [h, rotated]) {
      assert.throws(() => new Webhook(old.signingSecret).verify(r2.body.toString(), headersOf(r2)));
    }
  });
});

describe("send-time URL policy", () => {
  let w;
  let rx;
  before(async () => {
    rx = await startReceiver();
    w = await startWorker({ vars: { ALLOW_PRIVATE_TARGETS: "false" } });
  });
  after(async () => {
    await w?.stop();
    await rx?.stop();
  });

  test("a hook whose URL became private after it was saved is not called", async () => {
    // A hook saved while private targets were allowed, now served by a Worker that refuses them.
    const id = "private0000000000000a";
    const stored = [{
      id, name: "old", event: null, events: ["PostSignIn"], config: { url: rx.url("/private") },
      signingKey: "k".repeat(32), enabled: true, createdAt: Date.now(),
    }];
    await (await w.mf.getKVNamespace("HOOKS")).put("hooks/v1", JSON.stringify(stored));
    const res = await w.ingest({ event: "PostSignIn" });
    assert.equal(res.status, 202);
    assert.deepEqual(res.json.deliveries.map((d) => d.hookId), [id]);
    const deadline = Date.now() + 10000;
    while (!w.output.some((l) => l.includes("Target refused")) && Date.now() < deadline) await sleep(100);
    assert.ok(w.output.some((l) => l.includes("Target refused")), "the attempt fails at send time");
    assert.equal(rx.received("/private").length, 0);
  });
});
