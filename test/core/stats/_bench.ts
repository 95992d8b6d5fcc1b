import { createRng } from "../../../src/core/rng.ts";
import { summarize } from "../../../src/core/stats/percentiles.ts";
import { MetricDigest } from "../../../src/core/stats/digest.ts";
function lognormal(seed: number, n: number, mu = Math.log(20), sigma = 0.5) {
  const r = createRng(seed); const out = new Float64Array(n);
  for (let i = 0; i < n; i++) { const u1 = 1 - r.next(), u2 = r.next(); out[i] = Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)); }
  return out;
}
// warm-up
{ const d = new MetricDigest(); d.pushAll(lognormal(1, 20000)); }
const rel = (a: number, e: number) => (((a - e) / e) * 100).toFixed(3) + "%";
for (const n of [1e4, 1e5, 1e6]) {
  for (const kind of ["lognormal", "sorted", "trend", "ms-rounded"]) {
    let xs = lognormal(42, n);
    if (kind === "sorted") xs = xs.slice().sort();
    if (kind === "trend") xs = xs.map((x, i) => x * (1 + (2 * i) / n)); // ITL rising with context
    if (kind === "ms-rounded") xs = xs.map((x) => Math.round(x * 1000) / 1000);
    const d = new MetricDigest();
    const t0 = performance.now();
    d.pushAll(xs);
    const t1 = performance.now();
    const ex = summarize(xs)!; const s = d.summary()!;
    console.log(kind.padEnd(10), String(n).padStart(8), "centroids", String(d.size).padStart(5), "ns/push", ((t1 - t0) * 1e6 / n).toFixed(0).padStart(5), "json", JSON.stringify(d).length,
      "err p50", rel(s.p50, ex.p50), "p90", rel(s.p90, ex.p90), "p95", rel(s.p95, ex.p95), "p99", rel(s.p99, ex.p99));
  }
}
// shard merges
for (const n of [1e4, 1e5]) {
  const xs = lognormal(7, n); const ex = summarize(xs)!;
  const whole = new MetricDigest(); whole.pushAll(xs);
  const shards = [0, 1, 2, 3].map((k) => { const d = new MetricDigest(); d.pushAll(xs.subarray((k * n) / 4, ((k + 1) * n) / 4)); return d; });
  const m = new MetricDigest(); for (const s of shards) m.merge(s.toJSON());
  const a = whole.summary()!, b = m.summary()!;
  console.log("merge", n, "size", m.size, "whole size", whole.size, ["p50", "p90", "p95", "p99"].map((k) => `${k} whole ${rel((a as any)[k], (ex as any)[k])} merged ${rel((b as any)[k], (ex as any)[k])} m-vs-w ${rel((b as any)[k], (a as any)[k])}`).join(" | "));
}
