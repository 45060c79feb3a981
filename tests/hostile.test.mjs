// End to end: hostile input. Every case expects a specific status and JSON `code`; none may
// produce a 500 or break the isolate. The Worker runs with deployed defaults (private
// targets refused).
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startWorker, ADMIN_TOKEN, INGEST_TOKEN } from "./support/worker.mjs";

const RELAY_KEY = "hostile-relay-key";
const ok = { events: ["PostSignIn"], config: { url: "https://example.com/hook" } };
const withUrl = (url) => ({ ...ok, config: { url } });
const withHeaders = (headers) => ({ ...ok, config: { url: "https://example.com/hook", headers } });
const nested = (depth) => "[".repeat(depth) + "]".repeat(depth);
const relayBody = JSON.stringify({ event: "PostSignIn", createdAt: "2025-01-01T00:00:00.000Z", hookId: "x" });
const relaySig = createHmac("sha256", RELAY_KEY).update(relayBody).digest("hex");

// [name, method, path, { token, body, headers }, expected status, expected code]
const cases = [
  // Ingest bodies
  ["malformed JSON", "POST", "/api/events", { token: INGEST_TOKEN, body: "{event:" }, 400, "guard.invalid_input"],
  ["truncated JSON", "POST", "/api/events", { token: INGEST_TOKEN, body: '{"event":"PostSignIn"' }, 400, "guard.invalid_input"],
  ["trailing garbage", "POST", "/api/events", { token: INGEST_TOKEN, body: '{"event":"PostSignIn"} x' }, 400, "guard.invalid_input"],
  ["empty body", "POST", "/api/events", { token: INGEST_TOKEN, body: "" }, 400, "guard.invalid_input"],
  ["JSON null", "POST", "/api/events", { token: INGEST_TOKEN, body: "null" }, 400, "guard.invalid_input"],
  ["text/plain prose", "POST", "/api/events", { token: INGEST_TOKEN, body: "hello", headers: { "content-type": "text/plain" } }, 400, "guard.invalid_input"],
  ["form-encoded body", "POST", "/api/events", { token: INGEST_TOKEN, body: "event=PostSignIn", headers: { "content-type": "application/x-www-form-urlencoded" } }, 400, "guard.invalid_input"],
  ["multipart body", "POST", "/api/events", { token: INGEST_TOKEN, body: "--b\r\ncontent-disposition: form-data; name=event\r\n\r\nPostSignIn\r\n--b--", headers: { "content-type": "multipart/form-data; boundary=b" } }, 400, "guard.invalid_input"],
  ["invalid UTF-8 bytes", "POST", "/api/events", { token: INGEST_TOKEN, body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }, 400, "guard.invalid_input"],
  ["invalid UTF-8 inside a string", "POST", "/api/events", { token: INGEST_TOKEN, body: Buffer.concat([Buffer.from('{"event":"PostSignIn","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]) }, 400, "guard.invalid_input"],
  ["lone surrogate escape", "POST", "/api/events", { token: INGEST_TOKEN, body: '{"event":"PostSignIn","x":"\\ud800"}' }, 400, "guard.invalid_input"],
  ["number out of range", "POST", "/api/events", { token: INGEST_TOKEN, body: '{"event":"PostSignIn","x":1e400}' }, 400, "guard.invalid_input"],
  ["100 000 nested arrays", "POST", "/api/events", { token: INGEST_TOKEN, body: nested(100000) }, 400, "guard.invalid_input"],
  ["50 000 nested objects", "POST", "/api/events", { token: INGEST_TOKEN, body: '{"a":'.repeat(50000) + "1" + "}".repeat(50000) }, 400, "guard.invalid_input"],
  ["deep nesting inside an event", "POST", "/api/events", { token: INGEST_TOKEN, body: `{"event":"PostSignIn","x":${nested(5000)}}` }, 400, "guard.invalid_input"],
  ["batch of 101 events", "POST", "/api/events", { token: INGEST_TOKEN, body: JSON.stringify(Array(101).fill({ event: "PostSignIn" })) }, 400, "guard.invalid_input"],
  ["array of 100 000 numbers", "POST", "/api/events", { token: INGEST_TOKEN, body: JSON.stringify(Array(100000).fill(1)) }, 400, "guard.invalid_input"],
  ["body over 1 MiB", "POST", "/api/events", { token: INGEST_TOKEN, body: JSON.stringify({ event: "PostSignIn", pad: "x".repeat(1100000) }) }, 413, "event.too_large"],
  ["one event over 100 KiB", "POST", "/api/events", { token: INGEST_TOKEN, body: JSON.stringify({ event: "PostSignIn", pad: "x".repeat(103000) }) }, 413, "event.too_large"],
  ["event name with a NUL", "POST", "/api/events", { token: INGEST_TOKEN, body: '{"event":"PostSignIn\\u0000"}' }, 400, "event.unknown_event"],
  ["event name of another case", "POST", "/api/events", { token: INGEST_TOKEN, body: '{"event":"postsignin"}' }, 400, "event.unknown_event"],
  ["event not a string", "POST", "/api/events", { token: INGEST_TOKEN, body: '{"event":123}' }, 400, "guard.invalid_input"],
  ["createdAt not a string", "POST", "/api/events", { token: INGEST_TOKEN, body: '{"event":"PostSignIn","createdAt":5}' }, 400, "guard.invalid_input"],
  ["Idempotency-Key of 256 chars", "POST", "/api/events", { token: INGEST_TOKEN, body: ok.events && '{"event":"PostSignIn"}', headers: { "idempotency-key": "k".repeat(256) } }, 400, "guard.invalid_input"],
  // Tokens
  ["no token", "POST", "/api/events", { body: '{"event":"PostSignIn"}' }, 401, "auth.unauthorized"],
  ["wrong token", "POST", "/api/events", { token: "nope", body: '{"event":"PostSignIn"}' }, 401, "auth.unauthorized"],
  ["oversized token", "GET", "/api/hooks", { token: "x".repeat(16 * 1024) }, 401, "auth.unauthorized"],
  ["Basic scheme", "GET", "/api/hooks", { headers: { authorization: `Basic ${ADMIN_TOKEN}` } }, 401, "auth.unauthorized"],
  ["token with trailing junk", "GET", "/api/hooks", { token: `${ADMIN_TOKEN}junk` }, 401, "auth.unauthorized"],
  ["admin token prefix only", "GET", "/api/hooks", { token: ADMIN_TOKEN.slice(0, -1) }, 401, "auth.unauthorized"],
  // SSRF URL forms
  ...[
    "http://2130706433/", "http://0x7f.0x0.0x0.0x1/", "http://0177.0.0.01/", "http://127.1/", "http://0/",
    "http://[::ffff:7f00:1]/", "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/", "http://0.0.0.0/",
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://100.100.100.200/",
    "http://localhost./", "http://foo.localhost/", "http://example.com@127.0.0.1/", "http://127.0.0.1:80@example.com/",
    "http://user:pw@example.com/", "gopher://example.com/", "data:text/plain,hi", "file:///etc/passwd",
    "ws://example.com/", "http://", "https://exa mple.com/",
  ].map((url) => [`URL ${url}`, "POST", "/api/hooks", { token: ADMIN_TOKEN, body: withUrl(url) }, 400, "guard.invalid_input"]),
  // Headers
  ["CRLF in a header value", "POST", "/api/hooks", { token: ADMIN_TOKEN, body: withHeaders({ "x-a": "1\r\nx-injected: 2" }) }, 400, "guard.invalid_input"],
  ["NUL in a header value", "POST", "/api/hooks", { token: ADMIN_TOKEN, body: withHeaders({ "x-a": "1\u00002" }) }, 400, "guard.invalid_input"],
  ["CRLF in a header name", "POST", "/api/hooks", { token: ADMIN_TOKEN, body: withHeaders({ "x-a\r\nx-b": "1" }) }, 400, "guard.invalid_input"],
  ["NUL in a header name", "POST", "/api/hooks", { token: ADMIN_TOKEN, body: withHeaders({ "x\u0000": "1" }) }, 400, "guard.invalid_input"],
  ["reserved webhook-signature", "POST", "/api/hooks", { token: ADMIN_TOKEN, body: withHeaders({ "Webhook-Signature": "v1,x" }) }, 400, "guard.invalid_input"],
  ["reserved logto signature", "POST", "/api/hooks", { token: ADMIN_TOKEN, body: withHeaders({ "LOGTO-SIGNATURE-SHA-256": "x" }) }, 400, "guard.invalid_input"],
  ["header value over 4 KiB", "POST", "/api/hooks", { token: ADMIN_TOKEN, body: withHeaders({ "x-a": "v".repeat(5000) }) }, 400, "guard.invalid_input"],
  ["hook body is an array", "POST", "/api/hooks", { token: ADMIN_TOKEN, body: "[]" }, 400, "guard.invalid_input"],
  ["10 000 unknown events", "POST", "/api/hooks", { token: ADMIN_TOKEN, body: { ...ok, events: Array(10000).fill("Nope") } }, 400, "guard.invalid_input"],
  ["name of 257 chars", "POST", "/api/hooks", { token: ADMIN_TOKEN, body: { ...ok, name: "n".repeat(257) } }, 400, "guard.invalid_input"],
  // Paths and queries
  ["NUL id", "GET", "/api/hooks/%00", { token: ADMIN_TOKEN }, 404, "entity.not_exists_with_id"],
  ["10 000-char id", "GET", `/api/hooks/${"a".repeat(10000)}`, { token: ADMIN_TOKEN }, 404, "entity.not_exists_with_id"],
  ["encoded traversal id", "GET", "/api/hooks/..%2F..%2Fetc%2Fpasswd", { token: ADMIN_TOKEN }, 404, "entity.not_exists_with_id"],
  ["unknown delivery", "GET", "/api/deliveries/%27%20OR%201%3D1--", { token: ADMIN_TOKEN }, 404, "entity.not_exists_with_id"],
  ["negative page", "GET", "/api/hooks?page=-1", { token: ADMIN_TOKEN }, 400, "guard.invalid_pagination"],
  ["fractional page", "GET", "/api/hooks?page=1.5", { token: ADMIN_TOKEN }, 400, "guard.invalid_pagination"],
  ["page_size of a billion", "GET", "/api/hooks?page_size=1000000000", { token: ADMIN_TOKEN }, 400, "guard.invalid_pagination"],
  ["page beyond u64", "GET", "/api/hooks?page=99999999999999999999999", { token: ADMIN_TOKEN }, 400, "guard.invalid_pagination"],
  ["start_time NaN", "GET", "/api/hooks/x/recent-logs?start_time=NaN", { token: ADMIN_TOKEN }, 400, "guard.invalid_input"],
  ["inverted window", "GET", "/api/hooks/x/recent-logs?start_time=10&end_time=1", { token: ADMIN_TOKEN }, 400, "log.invalid_time_window"],
  ["bogus delivery status", "GET", "/api/hooks/x/deliveries?status=1%20OR%201", { token: ADMIN_TOKEN }, 400, "guard.invalid_input"],
  ["recover with garbage since", "POST", "/api/hooks/x/recover", { token: ADMIN_TOKEN, body: { since: "yesterday-ish" } }, 400, "guard.invalid_input"],
  ["wrong method", "PUT", "/api/hooks", { token: ADMIN_TOKEN, body: ok }, 405, "route.method_not_allowed"],
  ["unknown route", "GET", "/api/../../etc/passwd", {}, 404, "route.not_found"],
  // Relay
  ["forged relay signature", "POST", "/api/relay/logto", { body: relayBody, headers: { "logto-signature-sha-256": createHmac("sha256", "guess").update(relayBody).digest("hex") } }, 401, "relay.invalid_signature"],
  ["missing relay signature", "POST", "/api/relay/logto", { body: relayBody }, 401, "relay.invalid_signature"],
  ["relay signature for another body", "POST", "/api/relay/logto", { body: relayBody.replace("PostSignIn", "PostRegister"), headers: { "logto-signature-sha-256": relaySig } }, 401, "relay.invalid_signature"],
  ["relay signature not hex", "POST", "/api/relay/logto", { body: relayBody, headers: { "logto-signature-sha-256": "z".repeat(64) } }, 401, "relay.invalid_signature"],
];

describe("hostile input", () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { ALLOW_PRIVATE_TARGETS: "false", LOGTO_RELAY_SIGNING_KEY: RELAY_KEY } });
  });
  after(() => w?.stop());

  test(`the table has at least 40 cases (${cases.length})`, () => {
    assert.ok(cases.length >= 40);
  });

  for (const [name, method, path, opts, status, code] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      const res = await w.call(method, path, opts);
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 300)}`);
      assert.ok(res.json, `${name}: the answer is JSON`);
      assert.equal(res.json.code, code, `${name}: ${res.text.slice(0, 300)}`);
      assert.equal(typeof res.json.message, "string");
    });
  }

  test("a replayed relay request answers as before and delivers nothing new", async () => {
    const first = await w.call("POST", "/api/relay/logto", { body: relayBody, headers: { "logto-signature-sha-256": relaySig } });
    assert.equal(first.status, 202, first.text);
    const again = await w.call("POST", "/api/relay/logto", { body: relayBody, headers: { "logto-signature-sha-256": relaySig } });
    assert.equal(again.status, 202);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(again.json, first.json);
  });

  test("after all that the isolate still serves", async () => {
    const res = await w.call("GET", "/api/health");
    assert.equal(res.status, 200);
    assert.ok(!w.output.some((l) => /panicked|RuntimeError: unreachable/.test(l)), "no panic was logged");
  });
});
