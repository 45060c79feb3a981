// Runs the built Worker (build/) in workerd through Miniflare, with the bindings of
// wrangler.toml (local KV, Queues, Durable Objects) and test variables.
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadContract } from "./contract.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const ADMIN_TOKEN = "test-admin-token";
export const INGEST_TOKEN = "test-ingest-token";

/**
 * `outbound`, when given, answers every `fetch` the Worker makes instead of the network
 * (Miniflare's outboundService). `contract: false` skips holding answers to the document.
 */
export async function startWorker({ vars = {}, quiet = false, persistTo, port = 0, outbound, contract = true } = {}) {
  const configPath = path.join(ROOT, "wrangler.toml");
  const { workerOptions, main } = unstable_getMiniflareWorkerOptions(configPath);
  // Only wrangler.toml's [vars]: a developer's .dev.vars must not change what tests see.
  const { vars: configVars } = unstable_readConfig({ config: configPath });
  const output = [];
  const mf = new Miniflare({
    ...workerOptions,
    name: "hookwing",
    modules: true,
    scriptPath: main,
    bindings: {
      ...configVars,
      ADMIN_TOKEN,
      INGEST_TOKEN,
      ALLOW_PRIVATE_TARGETS: "true",
      ...vars,
    },
    host: "127.0.0.1",
    port,
    ...(outbound ? { outboundService: outbound } : {}),
    // With `persistTo`, KV, Durable Objects and the queue broker keep their state across restarts.
    ...(persistTo ? { defaultPersistRoot: persistTo } : {}),
    handleRuntimeStdio(stdout, stderr) {
      // Kept for assertions on what the Worker logged; `quiet` drops it (benchmarks).
      stdout.on("data", (d) => quiet || output.push(String(d)));
      stderr.on("data", (d) => quiet || output.push(String(d)));
    },
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  // Every answer a test sees is checked against the document this Worker serves.
  const check = contract ? await loadContract(url) : () => {};

  const call = async (method, route, { token, body, headers = {} } = {}) => {
    const init = { method, headers: { ...headers } };
    if (token) init.headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.body = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      init.headers["content-type"] ??= "application/json";
    }
    const res = await fetch(url + route, init);
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    check(method, route, res.status, res.headers.get("content-type"), text);
    return { status: res.status, headers: res.headers, text, json };
  };

  return {
    url,
    mf,
    output,
    call,
    admin: (method, route, body) => call(method, route, { token: ADMIN_TOKEN, body }),
    ingest: (body, query = "") => call("POST", `/api/events${query}`, { token: INGEST_TOKEN, body }),
    stop: () => mf.dispose(),
  };
}
