/**
 * How hard can one llmbench process drive a server before it becomes the bottleneck itself?
 * Runs the compiled binary against the built-in server configured with zero added latency (no
 * prefill, no decode step, no batch window, cache off), in a separate process:
 *   1. open loop at rising request rates: the highest rate sustained with send lag p99 < 1 ms;
 *   2. closed loop, long streamed answers: the most streamed tokens per second.
 * Usage: bun scripts/bench-client.ts [--seconds 3] [--rates 100,200,...]
 */
import { runJson, startZeroServer } from "./lib/zero-server.ts";
import { arg } from "./lib/args.ts";
const bin = `${import.meta.dir}/../dist/llmbench`;
const seconds = Number(arg("seconds", "3"));
const rates = arg("rates", "100,200,400,800,1200,1600,2400,3200").split(",").map(Number);

const { url, server } = await startZeroServer(bin);

const run = (args: string[]) => runJson(bin, url, [...args]);

const f = (x: number | undefined, d = 2) => (x === undefined || x === null ? "-" : x.toFixed(d));
console.log(
  `llmbench client benchmark — ${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores, server: built-in, zero added latency, separate process`,
);
console.log(`\n1. open loop, ${seconds} s per rate, 8 streamed tokens per request`);
console.log("  target/s  achieved/s  send lag p50  p99 (ms)  loop lag p99  TTFT p50  errors");
const held: number[] = [];
for (const rate of rates) {
  const doc = await run(["--rate", String(rate), "--duration", `${seconds}s`, "--max-tokens", "8", "--warmup", "20"]);
  const s = doc.summary;
  const achieved = s.requests.sent / seconds;
  const ok = s.send_lag_ms.p99 < 1 && s.requests.failed === 0;
  if (ok) held.push(rate);
  console.log(
    `  ${String(rate).padStart(8)}  ${f(achieved, 1).padStart(10)}  ${f(s.send_lag_ms.p50, 3).padStart(12)}  ${f(s.send_lag_ms.p99, 3).padStart(8)}  ${f(s.client.event_loop_lag_ms?.p99, 3).padStart(12)}  ${f(s.ttft_ms?.p50).padStart(8)}  ${String(s.requests.failed).padStart(6)}${ok ? "" : "  ← over"}`,
  );
}
console.log(
  `  send lag p99 < 1 ms at: ${held.length > 0 ? `${held.join(", ")} req/s` : "none of these rates"} (the p99 of a few hundred sends is their 2nd–3rd worst)`,
);

console.log(`\n2. closed loop, streamed tokens (512 per request)`);
console.log("  concurrency  output tok/s  req/s  ITL p50  ITL p99  loop lag p99 (ms)");
for (const c of [16, 64, 256]) {
  const doc = await run([
    "--concurrency",
    String(c),
    "--requests",
    String(c * 4),
    "--max-tokens",
    "512",
    "--warmup",
    String(c),
  ]);
  const s = doc.summary;
  console.log(
    `  ${String(c).padStart(11)}  ${f(s.throughput.output_tokens_per_s, 0).padStart(12)}  ${f(s.throughput.requests_per_s, 1).padStart(5)}  ${f(s.itl_ms?.p50, 3).padStart(7)}  ${f(s.itl_ms?.p99, 3).padStart(7)}  ${f(s.client.event_loop_lag_ms?.p99, 3).padStart(8)}`,
  );
}
server.kill("SIGTERM");
await server.exited;
