// The SIGKILL trial of issue 14 against `npm start` itself (wrangler dev, state in
// .wrangler/state): 300 events from 16 clients to one hook, SIGKILL of the whole `npm start`
// process tree right after the last 202, `npm start` again, then count what arrived.
// Usage: node scripts/crash-start.mjs   (uses PORT 8797 and the .dev.vars tokens)
import { spawn } from "node:child_process";
import { startReceiver } from "../tests/support/receiver.mjs";
import { ROOT } from "../tests/support/worker.mjs";

const PORT = 8797;
const URL = `http://127.0.0.1:${PORT}`;
const EVENTS = Number(process.env.EVENTS ?? 300);
const CLIENTS = 16;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (m) => console.log(`[crash-start] ${m}`);

function start() {
  const child = spawn("npm", ["start"], { cwd: ROOT, env: { ...process.env, PORT: String(PORT) }, detached: true, stdio: "ignore" });
  return child;
}
async function ready() {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${URL}/api/health`)).ok) return;
    } catch {}
    await sleep(500);
  }
  throw new Error("npm start did not come up");
}
const call = (method, path, token, body) =>
  fetch(URL + path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body && JSON.stringify(body) });

const rx = await startReceiver();
let child = start();
await ready();
log("npm start is up");
const hook = await (await call("POST", "/api/hooks", "dev-admin-token", { events: ["PostSignIn"], config: { url: rx.url("/crash") } })).json();
rx.behave("/crash", { status: 204, delayMs: 200 });
const accepted = new Set();
let next = 0;
await Promise.all(Array.from({ length: CLIENTS }, async () => {
  while (next < EVENTS) {
    next++;
    const res = await call("POST", "/api/events", "dev-ingest-token", { event: "PostSignIn", n: next });
    if (res.status === 202) accepted.add((await res.json()).id);
  }
}));
process.kill(-child.pid, "SIGKILL");
const before = new Set(rx.received("/crash").map((r) => r.headers["webhook-id"]));
log(`accepted ${accepted.size}; SIGKILL right after the last 202; ${before.size} had reached the receiver`);
await sleep(1000);
child = start();
await ready();
log("npm start is up again on the same .wrangler/state");
const deadline = Date.now() + 120_000;
const arrived = () => new Set(rx.received("/crash").map((r) => r.headers["webhook-id"]));
while (Date.now() < deadline && [...accepted].some((id) => !arrived().has(id))) await sleep(1000);
const missing = [...accepted].filter((id) => !arrived().has(id)).length;
log(`accepted ${accepted.size}, delivered ${accepted.size - missing}, missing ${missing}, requests ${rx.received("/crash").length} (duplicates ${rx.received("/crash").length - arrived().size})`);
await call("DELETE", `/api/hooks/${hook.id}`, "dev-admin-token");
process.kill(-child.pid, "SIGKILL");
await rx.stop();
process.exit(missing === 0 ? 0 : 1);
