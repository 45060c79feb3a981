// The API contract, machine-checked: the served document is valid OpenAPI 3.1, the helper
// that holds every e2e answer to it really rejects drift, and Schemathesis's property-based
// run against the Worker finds nothing.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startWorker, ROOT } from "./support/worker.mjs";
import { contractFor } from "./support/contract.mjs";
import { runSchemathesis } from "./support/schemathesis.mjs";

describe("the served OpenAPI document", () => {
  let w;
  let doc;
  before(async () => {
    w = await startWorker();
    doc = (await w.call("GET", "/api/openapi.json")).json;
  });
  after(() => w?.stop());

  test("validates as OpenAPI 3.1 against the official schema", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    assert.equal(validator.version, "3.1");
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
  });

  test("lists the catalog the Worker serves as the event enum, in order", async () => {
    const catalog = (await w.call("GET", "/api/events/catalog")).json;
    assert.deepEqual(doc.components.schemas.EventName.enum, catalog.map((e) => e.event));
    assert.equal(catalog.length, 32);
    const ingestable = catalog.filter((e) => e.category !== "operational").map((e) => e.event);
    assert.deepEqual(doc.components.schemas.IngestEventName.enum, ingestable, "producers may not send operational events");
  });

  test("every hook request and response schema names its events by that enum", () => {
    const { HookCreate, HookUpdate, Hook, TestRequest } = doc.components.schemas;
    for (const schema of [HookCreate, HookUpdate, Hook]) {
      assert.deepEqual(schema.properties.events.items, { $ref: "#/components/schemas/EventName" });
    }
    assert.deepEqual(TestRequest.properties.events.items, { $ref: "#/components/schemas/EventName" });
  });

  test("the contract check rejects an undocumented field, status, body or content type", () => {
    const check = contractFor(doc);
    const health = JSON.stringify({ status: "ok", version: doc.info.version });
    check("GET", "/api/health", 200, "application/json", health);
    assert.throws(() => check("GET", "/api/health", 200, "application/json", health.replace("}", ',"extra":1}')), /additional properties/);
    assert.throws(() => check("GET", "/api/health", 201, "application/json", health), /not documented/);
    assert.throws(() => check("GET", "/api/health", 200, "text/plain", health), /content-type/);
    assert.throws(() => check("DELETE", "/api/hooks/x", 204, null, "{}"), /documents no body/);
    assert.throws(() => check("GET", "/api/hooks/x", 404, "application/json", '{"code":"x"}'), /required property 'message'/);
    assert.throws(() => check("GET", "/api/nope", 200, "application/json", "{}"), /not a documented operation/);
  });

  test("a method no route has is 405 with Allow, even one the runtime does not know", async () => {
    for (const [method, path, allow] of [["QUERY", "/api/health", "GET"], ["PUT", "/api/hooks", "GET, POST"], ["PATCH", "/api/events", "POST"]]) {
      const res = await w.call(method, path);
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get("allow"), allow);
      assert.equal(res.json.code, "route.method_not_allowed");
    }
  });
});

describe("Schemathesis findings, kept as regression tests", () => {
  let w;
  before(async () => {
    w = await startWorker();
  });
  after(() => w?.stop());

  test("times far past 2^53 ms reach the delivery buckets intact (was a 503)", async () => {
    const hook = await w.admin("POST", "/api/hooks", { events: ["PostSignIn"], config: { url: "https://example.com/h" } });
    assert.equal(hook.status, 201, hook.text);
    const recover = await w.admin("POST", `/api/hooks/${hook.json.id}/recover`, { since: -2.5066499847579836e16 });
    assert.equal(recover.status, 202, recover.text);
    assert.deepEqual(recover.json, { count: 0 });
    const logs = await w.admin("GET", `/api/hooks/${hook.json.id}/recent-logs?start_time=-9.1e15&end_time=9.1e15`);
    assert.equal(logs.status, 200, logs.text);
  });
});

describe("Schemathesis against the running Worker", () => {
  test("finds no server error, no schema violation, no wrongly accepted or refused input", { timeout: 300_000 }, async () => {
    const { code, output, outbound } = await runSchemathesis();
    const summary = output.slice(output.lastIndexOf("SUMMARY"));
    assert.equal(code, 0, output.slice(-12_000));
    // A run that tested nothing would also exit 0.
    const generated = Number(/(\d+) generated/.exec(summary)?.[1] ?? 0);
    assert.ok(generated >= 2000, `only ${generated} cases generated:\n${summary}`);
    // Every operation of the document was exercised (Schemathesis leaves out the document's own route).
    const doc = JSON.parse(readFileSync(path.join(ROOT, "src/api/openapi/openapi.json"), "utf8"));
    const operations = Object.entries(doc.paths)
      .filter(([route]) => route !== "/api/openapi.json")
      .reduce((n, [, item]) => n + Object.keys(item).length, 0);
    assert.match(summary, new RegExp(`Tested: ${operations}\\b`));
    assert.ok(outbound > 0, "the stateful phase delivered nothing: links did not lead to deliveries");
    console.log(summary.split("\n").filter((l) => /generated|Tested|Seed|phase|✅|❌|⏭/.test(l)).join("\n"));
  });
});
