// Before/after pairs from two runs of bench/run.mjs made in one session on one machine
// (BENCH_JSON=<file> node bench/run.mjs …), with issue 14's targets as ratios of "before".
// Usage: node bench/compare.mjs before.json after.json  → a Markdown table on stdout.
import { readFileSync } from "node:fs";

const [before, after] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, "utf8")).runs);
const pct = (xs, p) => Float64Array.from(xs).sort()[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const median = (xs) => pct(xs, 50);
const show = (runs, get, d) => {
  const xs = runs.map(get);
  return `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
};
const refused = (runs, k) => runs.reduce((n, r) => n + r[k].rejected, 0);

// [measure, getter, digits, target: (before median, after median) → [text, met]]
const atLeast = (x) => (b, a) => [`≥ ${x}× before`, a >= x * b];
const atMost = (x, what) => (b, a) => [`≤ ${what} of before`, a <= x * b];
const rows = [
  ["1 hook, max load: deliveries/s", (r) => r.h1.deliveriesPerSecond, 0, atLeast(2)],
  ["10 hooks, max load: deliveries/s", (r) => r.h10.deliveriesPerSecond, 0, atLeast(2)],
  ["1 hook, steady 200 ev/s: ingest→arrival p50, ms", (r) => r.h1.steadyP50, 1, atMost(0.5, "½")],
  ["1 hook, steady 200 ev/s: ingest→arrival p99, ms", (r) => r.h1.steadyP99, 1, atMost(0.25, "¼")],
  ["10 hooks, steady 20 ev/s: ingest→arrival p50, ms", (r) => r.h10.steadyP50, 1, atMost(0.5, "½")],
  ["10 hooks, steady 20 ev/s: ingest→arrival p99, ms", (r) => r.h10.steadyP99, 1, atMost(0.25, "¼")],
  ["workerd CPU per delivery, 1 hook, ms", (r) => r.h1.cpuMsPerDelivery, 3, atMost(1, "1×")],
  ["workerd CPU per delivery, 10 hooks, ms", (r) => r.h10.cpuMsPerDelivery, 3, atMost(1, "1×")],
  ["1 hook, max load: events/s accepted", (r) => r.h1.ingestPerSecond, 0, null],
  ["1 hook, max load: ingest p50, ms", (r) => r.h1.ingestP50, 1, null],
  ["10 hooks, max load: ingest p50, ms", (r) => r.h10.ingestP50, 1, null],
  ["receiver raw capacity, req/s (same in both)", (r) => r.rawPerSecond, 0, null],
];
const lines = [
  "| measure | before | after | after ÷ before | target | met |",
  "|---|---|---|---|---|---|",
];
for (const [name, get, d, target] of rows) {
  const b = median(before.map(get));
  const a = median(after.map(get));
  const [text, met] = target ? target(b, a) : ["—", null];
  lines.push(`| ${name} | ${show(before, get, d)} | ${show(after, get, d)} | ${(a / b).toFixed(2)}× | ${text} | ${met === null ? "—" : met ? "yes" : "no"} |`);
}
for (const k of ["h1", "h10"]) {
  const b = refused(before, k);
  const a = refused(after, k);
  lines.push(`| ${k === "h1" ? "1 hook" : "10 hooks"}: ingest requests refused (32 connections, all runs) | ${b} | ${a} | — | 0 | ${a === 0 ? "yes" : "no"} |`);
}
for (const k of ["h1", "h10"]) {
  const acc = (runs) => runs.reduce((s, r) => {
    for (const p of [r[k].saturated, r[k].steady]) {
      s.missing += p.missing;
      s.duplicates += p.duplicates;
    }
    return s;
  }, { missing: 0, duplicates: 0 });
  const [b, a] = [acc(before), acc(after)];
  lines.push(`| ${k === "h1" ? "1 hook" : "10 hooks"}: missing / duplicate deliveries (all runs) | ${b.missing} / ${b.duplicates} | ${a.missing} / ${a.duplicates} | — | 0 missing | ${a.missing === 0 ? "yes" : "no"} |`);
}
console.log(lines.join("\n"));
