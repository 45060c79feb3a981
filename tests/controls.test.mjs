// Delivery controls (SPEC §11), as far as built: pause and resume. A paused hook's new and due
// deliveries are held — not attempted, no retry used, never lost — and resume sends them.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./support/worker.mjs";
import { startReceiver } from "./support/receiver.mjs";
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
