/**
 * What `run --workers N` buys: for 1 and 2 worker processes against the built-in server with zero
 * added latency (a separate process), (1) the highest open-loop request rate sent on time (send
 * lag p99 under 1 ms, no errors), and (2) streamed output tokens per second in a closed loop.
 * Runs the compiled binary (npm run build first).
 * Usage: bun scripts/bench-workers.ts [--seconds 3] [--rates 250,500,…] [--workers 1,2] [--concurrency 256]
 */
import { runJson, startZeroServer } from "./lib/zero-server.ts";
import { arg } from "./lib/args.ts";
const bin = `${import.meta.dir}/../dist/llmbench`;
const seconds = Number(arg("seconds", "3"));
const rates = arg("rates", "250,500,1000,1500,2000,3000,4000").split(",").map(Number);
const workerCounts = arg("workers", "1,2").split(",").map(Number);
const concurrency = Number(arg("concurrency", "256"));

const { url, server } = await startZeroServer(bin);

const run = (args: string[]) => runJson(bin, url, ["--seed", "1", ...args]);

const f = (x: number | undefined | null, d = 2) => (x === undefined || x === null ? "-" : x.toFixed(d));
const { loadavg } = await import("node:os");
console.log(
  `llmbench --workers benchmark — ${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores, load average ${loadavg()[0].toFixed(1)}, server: built-in, zero added latency, separate process`,
);
const table: string[] = [];
for (const w of workerCounts) {
  console.log(`\n--workers ${w}: open loop, ${seconds} s per rate, 8 streamed tokens per request`);
  console.log("  target/s  achieved/s  send lag p50  p99 (ms)  TTFT p50  errors");
  let held = 0;
  for (const rate of rates) {
    const doc = await run([
      "--workers",
      String(w),
      "--rate",
      String(rate),
      "--duration",
      `${seconds}s`,
      "--max-tokens",
      "8",
      "--warmup",
      String(20 * w),
    ]).catch((e: Error) => {
      // the one server process gives out before the client: the ladder ends there
      console.log(`  ${String(rate).padStart(8)}  ${e.message}`);
      return null;
    });
    if (!doc) break;
    const s = doc.summary;
    const ok = s.send_lag_ms.p99 < 1 && s.requests.failed === 0;
    if (ok) held = Math.max(held, rate);
    console.log(
      `  ${String(rate).padStart(8)}  ${f(s.requests.sent / seconds, 1).padStart(10)}  ${f(s.send_lag_ms.p50, 3).padStart(12)}  ${f(s.send_lag_ms.p99, 3).padStart(8)}  ${f(s.ttft_ms?.p50).padStart(8)}  ${String(s.requests.failed).padStart(6)}${ok ? "" : "  ← over"}`,
    );
  }
  const doc = await run([
    "--workers",
    String(w),
    "--concurrency",
    String(concurrency),
    "--requests",
    String(concurrency * 4),
    "--max-tokens",
    "512",
    "--warmup",
    String(concurrency),
  ]);
  const s = doc.summary;
  console.log(
    `  closed loop, concurrency ${concurrency}, 512 streamed tokens each: ${f(s.throughput.output_tokens_per_s, 0)} output tok/s, ${f(s.throughput.requests_per_s, 1)} req/s, ITL p99 ${f(s.itl_ms?.p99, 3)} ms`,
  );
  table.push(`| ${w} | ${held > 0 ? held : `< ${rates[0]}`} | ${f(s.throughput.output_tokens_per_s, 0)} |`);
}
console.log(
  `\n| workers | highest rate with send lag p99 < 1 ms (req/s) | streamed output tok/s (c=${concurrency}) |\n|---|---|---|\n${table.join("\n")}`,
);
server.kill("SIGTERM");
await server.exited;
