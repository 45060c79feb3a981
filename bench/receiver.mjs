// The benchmark's loopback receiver, in its own process so it never competes with the load
// generator's event loop: answers 204 at once and records (webhook-id, hookId, arrival ms).
// GET /stats returns what it saw; POST /reset clears it.
import http from "node:http";

let seen = [];
const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stats") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify(seen));
  }
  if (req.method === "POST" && req.url === "/reset") {
    seen = [];
    res.writeHead(204);
    return res.end();
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const at = performance.timeOrigin + performance.now();
    const id = req.headers["webhook-id"];
    if (id) {
      let hookId = "";
      try {
        hookId = JSON.parse(Buffer.concat(chunks)).hookId;
      } catch {}
      seen.push([id, hookId, at]);
    }
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => process.send?.({ port: server.address().port }));
