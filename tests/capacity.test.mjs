// The storage budget of SPEC §10, counted by the bucket objects themselves: per delivery
// whose first attempt succeeds, at most 4 rows written and payload + 300 bytes stored, and
// two Durable Object requests (the pending delivery written before the 202, its first
// attempt recorded after it: see delivery/dispatch.rs); a retry adds at most 3 rows.
// CAPACITY.md uses these.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./support/worker.mjs";
import { startReceiver } from "./support/receiver.mjs";
import { until } from "./support/util.mjs";
import { usage, dayOf } from "./support/buckets.mjs";

/** A Logto PostSignIn of about 700 bytes, as the storage measurement of SPEC §10 used. */
const signIn = (n, event = "PostSignIn") => ({
  event,
  createdAt: new Date().toISOString(),
  sessionId: `sess_${String(n).padStart(20, "0")}`,
  userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
  userId: `user_${n}`,
  userIp: "203.0.113.7",
  interactionEvent: "SignIn",
  user: {
    id: `user_${n}`,
    username: `member${n}`,
    primaryEmail: `member${n}@example.com`,
    primaryPhone: null,
    name: "A. Member",
    avatar: null,
    customData: { plan: "pro", region: "eu-west" },
    identities: {},
    lastSignInAt: 1_796_434_087_994,
    createdAt: 1_796_000_000_000,
    applicationId: "app_0123456789abcdef",
    isSuspended: false,
  },
  application: { id: "app_0123456789abcdef", name: "Storefront", type: "SPA", description: "Customer web app" },
});

describe("delivery storage per delivery", () => {
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

  async function hookAt(path, event = "PostSignIn") {
    const res = await w.admin("POST", "/api/hooks", { events: [event], config: { url: rx.url(path) } });
    assert.equal(res.status, 201, res.text);
    return res.json;
  }

  /** The hook's buckets summed (today, and yesterday in case the test straddles midnight). */
  async function total(hookId) {
    const days = [...new Set([dayOf(Date.now() - 60_000), dayOf(Date.now())])];
    const all = await Promise.all(days.map((d) => usage(w, hookId, d)));
    return all.reduce((a, u) => Object.fromEntries(Object.keys(u).map((k) => [k, (a[k] ?? 0) + u[k]])), {});
  }

  async function send(hook, from, count, event = "PostSignIn") {
    for (let n = from; n < from + count; n++) {
      const res = await w.ingest(signIn(n, event));
      assert.equal(res.status, 202, res.text);
      assert.deepEqual(res.json.deliveries.map((d) => d.hookId), [hook.id]);
    }
    return JSON.stringify(signIn(from, event)).length;
  }

  test("a first attempt that succeeds: ≤ 4 rows written, ≤ payload + 300 bytes, ≤ 2 object requests", async () => {
    const hook = await hookAt("/ok");
    // A first batch makes the bucket (schema, meta); the second one is what is measured.
    await send(hook, 0, 10);
    await until("the first 10 attempts recorded", async () => (await total(hook.id)).attempts === 10, 30_000);
    const before = await total(hook.id);
    const N = 150;
    const payload = await send(hook, 10, N);
    await until(`${N} more attempts recorded`, async () => (await total(hook.id)).attempts === 10 + N, 60_000);
    const after = await total(hook.id);
    assert.equal(rx.received("/ok").length, 10 + N);
    const rows = (after.rowsWritten - before.rowsWritten) / N;
    const bytes = (after.databaseBytes - before.databaseBytes) / N;
    const requests = (after.requests - before.requests) / N;
    console.log(`per delivery: ${rows} rows written, ${bytes.toFixed(0)} bytes stored (payload ${payload} B), ${requests.toFixed(2)} object requests`);
    assert.ok(rows <= 4, `${rows} rows written per delivery`);
    assert.ok(bytes <= payload + 300, `${bytes} bytes per delivery for a ${payload}-byte payload`);
    assert.ok(requests <= 2, `${requests} bucket requests per delivery`);
  });

  test("a retry adds ≤ 3 rows", async () => {
    const hook = await hookAt("/flaky", "User.Created");
    rx.behave("/flaky", (r) => (rx.received("/flaky").filter((x) => x.headers["webhook-id"] === r.headers["webhook-id"]).length === 1 ? { status: 500 } : { status: 204 }));
    await send(hook, 0, 5, "User.Created");
    await until("the warm-up retried", async () => (await total(hook.id)).attempts === 10, 30_000);
    const before = await total(hook.id);
    const N = 20;
    await send(hook, 100, N, "User.Created");
    await until(`${N} deliveries retried once`, async () => (await total(hook.id)).attempts === 10 + 2 * N, 60_000);
    const after = await total(hook.id);
    const rows = (after.rowsWritten - before.rowsWritten) / N;
    console.log(`per delivery failing once then succeeding: ${rows} rows written`);
    // The failed first attempt writes what a successful one does (4 rows, measured above);
    // the retry must add at most 3 more.
    assert.ok(rows <= 4 + 3, `${rows} rows for a failed first attempt and one retry`);
  });
});
