// SPEC §3: once 202 is sent, every delivery is durable — killing the runtime right after the
// answer loses nothing. The runtime (workerd) is SIGKILLed right after a burst of 202s, while
// first attempts are still in flight (a slow receiver), then started again on the same local
// state; every accepted delivery must reach the receiver and end `succeeded` (and an ordered
// hook's, still in ingest order).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startWorker, INGEST_TOKEN } from "./support/worker.mjs";
import { startReceiver } from "./support/receiver.mjs";
import { until } from "./support/util.mjs";

const EVENTS = 300;
const CLIENTS = 16;

/** The workerd processes started by this test process. */
function workerdChildren() {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd");
      } catch {
        return false;
      }
    })
    .map(Number);
}

test(`SIGKILL right after ${EVENTS} accepted events from ${CLIENTS} clients: after a restart every delivery arrives`, { timeout: 180_000 }, async () => {
  const rx = await startReceiver();
  const dir = mkdtempSync(path.join(tmpdir(), "hookwing-crash-"));
  const vars = { RETRY_SCHEDULE: "1", DISPATCH_GUARD_SECONDS: "3" };
  let w = await startWorker({ vars, persistTo: dir });
  try {
    // Slow answers keep first attempts in flight when the runtime is killed.
    rx.behave("/slow", { status: 204, delayMs: 400 });
    const hooks = [];
    for (const p of ["/slow", "/fast"]) {
      const res = await w.admin("POST", "/api/hooks", { events: ["PostSignIn"], config: { url: rx.url(p) } });
      assert.equal(res.status, 201);
      hooks.push(res.json.id);
    }
    const accepted = new Set(); // `${eventId} ${hookId}`
    const ids = [];
    let next = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (next < EVENTS) {
        next++;
        const res = await fetch(`${w.url}/api/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${INGEST_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ event: "PostSignIn", n: next }),
        });
        const body = await res.json();
        if (res.status !== 202) continue;
        for (const d of body.deliveries) {
          accepted.add(`${body.id} ${d.hookId}`);
          ids.push(d.id);
        }
      }
    }));
    const pids = workerdChildren();
    assert.ok(pids.length > 0, "found the runtime's process");
    for (const pid of pids) process.kill(pid, "SIGKILL");
    const arrivedBeforeKill = rx.received().length;
    assert.equal(accepted.size, EVENTS * 2, "every event was accepted for both hooks");
    await w.stop().catch(() => {});
    w = await startWorker({ vars, persistTo: dir });

    // Every delivery ends succeeded: its first attempt was recorded before the kill, or the
    // bucket's guard sent it again after the restart.
    let left = ids;
    const arrivedOnce = () => new Set(rx.received().map((r) => `${r.headers["webhook-id"]} ${JSON.parse(r.body).hookId}`));
    await until("every accepted delivery to succeed", async () => {
      const still = [];
      for (const id of left) {
        const d = await w.admin("GET", `/api/deliveries/${id}`);
        if (d.json?.status !== "succeeded") still.push(id);
      }
      left = still;
      return left.length === 0;
    }, 60_000).catch((e) => {
      const never = [...accepted].filter((k) => !arrivedOnce().has(k)).length;
      throw new Error(`${e.message}: ${left.length} of ${ids.length} not succeeded, ${never} never reached the receiver`);
    });
    const arrived = new Set(rx.received().map((r) => `${r.headers["webhook-id"]} ${JSON.parse(r.body).hookId}`));
    const missing = [...accepted].filter((k) => !arrived.has(k)).length;
    const resent = rx.received().length - arrivedBeforeKill;
    console.log(`accepted ${accepted.size}, arrived before the kill ${arrivedBeforeKill}, sent again after the restart ${resent}, missing ${missing}, duplicates ${rx.received().length - arrived.size}`);
    assert.equal(missing, 0);
    assert.ok(resent > 0, "the kill interrupted first attempts, which the guard sent again");
  } finally {
    await w.stop().catch(() => {});
    await rx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SIGKILL while an ordered hook drains its backlog: after a restart the rest arrive, still in ingest order", { timeout: 180_000 }, async () => {
  const rx = await startReceiver();
  const dir = mkdtempSync(path.join(tmpdir(), "hookwing-crash-ordered-"));
  const vars = { RETRY_SCHEDULE: "1", DISPATCH_GUARD_SECONDS: "3", DELIVERY_TIMEOUT_MS: "2000" };
  let w = await startWorker({ vars, persistTo: dir });
  try {
    rx.behave("/ordered", { status: 204, delayMs: 100 });
    const hook = await w.admin("POST", "/api/hooks", { events: ["PostSignIn"], config: { url: rx.url("/ordered"), ordered: true } });
    assert.equal(hook.status, 201);
    const ids = [];
    for (let n = 0; n < 60; n++) {
      const res = await w.ingest({ event: "PostSignIn", n });
      assert.equal(res.status, 202);
      ids.push(res.json.deliveries[0].id);
    }
    await rx.waitFor("/ordered", 10, 30_000);
    for (const pid of workerdChildren()) process.kill(pid, "SIGKILL");
    const beforeKill = rx.received("/ordered").length;
    await w.stop().catch(() => {});
    w = await startWorker({ vars, persistTo: dir });
    await rx.waitFor("/ordered", 60, 90_000);
    let left = ids;
    await until("every delivery to succeed", async () => {
      const still = [];
      for (const id of left) if ((await w.admin("GET", `/api/deliveries/${id}`)).json?.status !== "succeeded") still.push(id);
      left = still;
      return left.length === 0;
    }, 60_000);
    const ns = rx.received("/ordered").map((r) => JSON.parse(r.body).n);
    const first = ns.filter((n, i) => ns.indexOf(n) === i);
    console.log(`ordered: ${beforeKill} arrived before the kill, ${ns.length - beforeKill} after, ${ns.length - first.length} duplicates`);
    assert.ok(beforeKill < 60, "the kill interrupted the backlog");
    assert.deepEqual(first, Array.from({ length: 60 }, (_, n) => n), "first arrivals in ingest order, none missing");
  } finally {
    await w.stop().catch(() => {});
    await rx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
