// A loopback HTTP receiver for end-to-end tests: records every request and answers as told,
// per path: any status, a hang past the timeout, a dropped connection, a redirect, a reset
// or a stall after the headers, or a body of any size.
import http from "node:http";

const DEFAULT = { status: 204 };

export async function startReceiver() {
  const requests = [];
  const plans = new Map(); // path -> list of behaviours; the last one repeats
  const waiters = new Set();
  const sockets = new Set();
  const open = new Map(); // path -> requests being answered now
  const most = new Map(); // path -> the most it ever saw at once

  const server = http.createServer((req, res) => {
    const chunks = [];
    const path = new URL(req.url, "http://x").pathname;
    open.set(path, (open.get(path) ?? 0) + 1);
    most.set(path, Math.max(most.get(path) ?? 0, open.get(path)));
    res.on("close", () => open.set(path, open.get(path) - 1));
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const record = { method: req.method, path, headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      requests.push(record);
      for (const w of waiters) w();
      const plan = plans.get(path);
      let behaviour = (plan && (plan.length > 1 ? plan.shift() : plan[0])) || DEFAULT;
      // A function decides per request (e.g. random failures in the soak test).
      if (typeof behaviour === "function") behaviour = behaviour(record) || DEFAULT;
      record.answered = behaviour.drop || behaviour.hang ? null : behaviour.status ?? (behaviour.redirect ? 302 : 204);
      if (behaviour.drop) return req.socket.destroy();
      if (behaviour.hang) return; // never answer; closed when the receiver stops
      if (behaviour.resetAfterHeaders || behaviour.stallBody) {
        res.writeHead(behaviour.status ?? 200, { "content-type": "text/plain" });
        res.flushHeaders();
        res.write("partial body…");
        // Give the client time to read the headers before the connection is reset.
        if (behaviour.resetAfterHeaders) setTimeout(() => req.socket.destroy(), 300);
        return; // a stalled body is never finished
      }
      if (behaviour.bodySize) {
        res.writeHead(behaviour.status ?? 200, { "content-type": "text/plain" });
        const chunk = Buffer.alloc(64 * 1024, "x");
        let left = behaviour.bodySize;
        const pump = () => {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return res.once("drain", pump);
          }
          res.end();
        };
        res.on("error", () => {});
        return pump();
      }
      const headers = { ...(behaviour.headers || {}) };
      if (behaviour.redirect) headers.location = behaviour.redirect;
      const answer = () => {
        res.writeHead(behaviour.status ?? (behaviour.redirect ? 302 : 204), headers);
        res.end(behaviour.body ?? "");
      };
      // A slow receiver: answers after `delayMs` (attempts are still in flight meanwhile).
      if (behaviour.delayMs) return void setTimeout(answer, behaviour.delayMs);
      answer();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;

  return {
    url: (path = "/hook") => base + path,
    requests,
    /** Requests to `path` (all paths when omitted). */
    received: (path) => requests.filter((r) => path === undefined || r.path === path),
    /** The largest number of requests to `path` it was answering at the same time. */
    maxConcurrent: (path) => most.get(path) ?? 0,
    /** Answers requests to `path` with these behaviours in order; the last one repeats. */
    behave(path, ...behaviours) {
      plans.set(path, behaviours);
    },
    /** Resolves once `count` requests reached `path`, or rejects after `timeoutMs`. */
    waitFor(path, count, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const got = requests.filter((r) => r.path === path);
          if (got.length >= count) {
            cleanup();
            resolve(got);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`expected ${count} request(s) on ${path} within ${timeoutMs} ms, got ${requests.filter((r) => r.path === path).length}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
