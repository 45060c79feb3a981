// Runs Schemathesis (installed by scripts/install.sh into .venv/) against a fresh Worker
// whose every outgoing fetch is answered in-process: generated hooks point anywhere, and
// nothing may leave this machine. Also runnable alone: `node tests/support/schemathesis.mjs`.
import { spawn } from "node:child_process";
import path from "node:path";
import { Response } from "miniflare";
import { startWorker, ROOT, ADMIN_TOKEN, INGEST_TOKEN } from "./worker.mjs";

export const SCHEMATHESIS = process.env.HOOKWING_SCHEMATHESIS ?? path.join(ROOT, ".venv/bin/schemathesis");

export async function runSchemathesis({ maxTime } = {}) {
  const outbound = { count: 0 };
  const w = await startWorker({
    quiet: true,
    // Hundreds of generated hooks land in `default`: the per-tenant cap must not turn valid
    // creates into 400s (tests/tenants.test.mjs checks the cap itself).
    vars: { LOGTO_RELAY_SIGNING_KEY: "contract-relay-key", RETRY_SCHEDULE: "1,1", MAX_HOOKS_PER_TENANT: "100000" },
    outbound: () => {
      outbound.count += 1;
      return new Response(null, { status: 204 });
    },
  });
  try {
    const args = [
      "--config-file", path.join(ROOT, "tests/contract/schemathesis.toml"),
      "run", `${w.url}/api/openapi.json`,
      "--checks", "all",
      // See tests/contract/schemathesis.toml: recent logs of a deleted hook stay readable.
      "--exclude-checks", "use_after_free",
      // One pass of every phase, bounded by the example counts of the config; `--max-time`
      // would instead repeat fuzzing until the budget is spent.
      ...(maxTime ? ["--max-time", String(maxTime)] : []),
      "--report", "junit",
      "--report-dir", path.join(ROOT, "tests/artifacts/schemathesis"),
    ];
    const child = spawn(SCHEMATHESIS, args, {
      cwd: ROOT,
      env: { ...process.env, HOOKWING_ADMIN_TOKEN: ADMIN_TOKEN, HOOKWING_INGEST_TOKEN: INGEST_TOKEN, NO_COLOR: "1", COLUMNS: "120" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const code = await new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    return { code, output, outbound: outbound.count };
  } finally {
    await w.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { code, output, outbound } = await runSchemathesis({ maxTime: process.argv[2] && Number(process.argv[2]) });
  console.log(output);
  console.log(`exit ${code}; ${outbound} outbound requests answered in-process`);
  process.exit(code);
}
