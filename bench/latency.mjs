// Ingest → receiver latency for 1 and 10 hooks, measured through Miniflare driven directly
// (no wrangler proxy, Worker logs dropped). Sequential events, so it measures latency, not
// throughput. Usage: node bench/latency.mjs [events per run] [runs]
import { startWorker } from "../tests/support/worker.mjs";
import { startReceiver } from "../tests/support/receiver.mjs";

const EVENTS = Number(process.argv[2] ?? 30);
const RUNS = Number(process.argv[3] ?? 3);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function run(hooks) {
  const rx = await startReceiver();
  const w = await startWorker({ quiet: true, contract: false });
  try {
    for (let i = 0; i < hooks; i++) {
      const res = await w.admin("POST", "/api/hooks", { events: ["PostSignIn"], config: { url: rx.url(`/h${i}`) } });
      if (res.status !== 201) throw new Error(res.text);
    }
    // Warm up the isolate and the queue consumer.
    for (let i = 0; i < 3; i++) {
      await w.ingest({ event: "PostSignIn", warm: i });
    }
    await new Promise((r) => setTimeout(r, 500));
    const ingest = [];
    const firstArrival = [];
    const lastArrival = [];
    for (let i = 0; i < EVENTS; i++) {
      const before = rx.requests.length;
      const t0 = performance.now() + performance.timeOrigin;
      const res = await w.ingest({ event: "PostSignIn", i });
      const t1 = performance.now() + performance.timeOrigin;
      if (res.status !== 202) throw new Error(res.text);
      ingest.push(t1 - t0);
      const deadline = Date.now() + 10000;
      while (rx.requests.filter((r, k) => k >= before && r.headers["webhook-id"] === res.json.id).length < hooks) {
        if (Date.now() > deadline) throw new Error("delivery did not arrive");
        await new Promise((r) => setImmediate(r));
      }
      const arrivals = rx.requests.slice(before).filter((r) => r.headers["webhook-id"] === res.json.id).map((r) => r.at - t0);
      firstArrival.push(Math.min(...arrivals));
      lastArrival.push(Math.max(...arrivals));
    }
    return { ingest: median(ingest), first: median(firstArrival), last: median(lastArrival), p99last: pct(lastArrival, 99) };
  } finally {
    await w.stop();
    await rx.stop();
  }
}

for (const hooks of [1, 10]) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(await run(hooks));
  const f = (k) => `${median(runs.map((x) => x[k])).toFixed(1)} ms (${Math.min(...runs.map((x) => x[k])).toFixed(1)}–${Math.max(...runs.map((x) => x[k])).toFixed(1)})`;
  console.log(`${hooks} hook(s), ${EVENTS} sequential events × ${RUNS} runs: ingest p50 ${f("ingest")}; ingest→first arrival p50 ${f("first")}; ingest→last arrival p50 ${f("last")}, p99 ${f("p99last")}`);
}
