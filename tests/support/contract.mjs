// Holds every answer of the e2e tests to the document the Worker serves: each `/api/…`
// response must be a documented status of its operation, and its body must validate against
// that status's schema (JSON Schema 2020-12, as OpenAPI 3.1 uses). A shape change without a
// document change fails whichever test saw it.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const DOC_ID = "https://hookwing.test/openapi.json";

/** `{id}` segments match one non-empty path segment. */
function templateRegex(template) {
  const source = template
    .split("/")
    .map((seg) => (/^\{[^}]+\}$/.test(seg) ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}$`);
}

const escapePointer = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");

export function contractFor(doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ ...doc, $id: DOC_ID });
  const routes = Object.entries(doc.paths).map(([template, item]) => ({ template, regex: templateRegex(template), item }));
  const validators = new Map();
  const validatorFor = (pointer) => {
    if (!validators.has(pointer)) validators.set(pointer, ajv.compile({ $ref: `${DOC_ID}#${pointer}` }));
    return validators.get(pointer);
  };
  const errorPointer = "/components/schemas/Error";

  /** Throws when the answer is not what the document promises. */
  return function check(method, url, status, contentType, text) {
    let path = new URL(url, "http://x").pathname;
    if (!path.startsWith("/api/")) return;
    if (path.length > 1) path = path.replace(/\/+$/, "");
    const where = `${method} ${path} → ${status}`;
    const route = routes.find((r) => r.regex.test(path));
    let pointer;
    if (!route || !route.item[method.toLowerCase()]) {
      // No operation: the router's own 404 / 405, which are errors like any other.
      if (![404, 405].includes(status)) throw new Error(`contract: ${where} is not a documented operation`);
      pointer = errorPointer;
    } else {
      const base = `/paths/${escapePointer(route.template)}/${method.toLowerCase()}/responses/${status}`;
      let response = route.item[method.toLowerCase()].responses[String(status)];
      if (!response) {
        throw new Error(`contract: ${where}: status ${status} is not documented for ${route.item[method.toLowerCase()].operationId}: ${text.slice(0, 300)}`);
      }
      let responsePointer = base;
      if (response.$ref) {
        responsePointer = response.$ref.slice(1);
        response = responsePointer.split("/").slice(1).reduce((o, k) => o[k.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
      }
      if (!response.content) {
        if (text !== "") throw new Error(`contract: ${where} documents no body but got ${text.slice(0, 200)}`);
        return;
      }
      pointer = `${responsePointer}/content/application~1json/schema`;
    }
    if (!/^application\/json\b/.test(contentType ?? "")) throw new Error(`contract: ${where}: content-type ${contentType}, expected application/json`);
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`contract: ${where}: body is not JSON: ${text.slice(0, 200)}`);
    }
    const validate = validatorFor(pointer);
    if (!validate(body)) {
      const problems = validate.errors.slice(0, 5).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
      throw new Error(`contract: ${where} does not match its schema:\n  ${problems.join("\n  ")}\n  body: ${text.slice(0, 500)}`);
    }
  };
}

/** The contract of the Worker at `baseUrl`, from the document it serves. */
export async function loadContract(baseUrl) {
  const res = await fetch(`${baseUrl}/api/openapi.json`);
  if (res.status !== 200) throw new Error(`GET /api/openapi.json answered ${res.status}`);
  return contractFor(await res.json());
}
