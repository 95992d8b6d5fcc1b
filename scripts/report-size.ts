/**
 * How big the HTML report is, and how long it takes to write, for a large run.
 *
 *   bun scripts/build.ts && bun scripts/report-size.ts [--requests 10000] [--concurrency 64] [--max-tokens 100] [--scale 10]
 *
 * Runs the built binary against the built-in server (its own process, 1 ms decode steps) for
 * `--requests` streamed requests, then `llmbench report` on the result; prints the result's size, the
 * page's size and the time `report` took. `--scale K` then makes a K-times-larger result from the
 * same records (copies shifted in time, summarised again) and reports on it too: the page must stay
 * about as small, since drawing is downsampled (the numbers are not).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarizeRun, type RawRecord } from "../src/core/metrics.ts";
import type { ResultDocument } from "../src/core/result.ts";
import { formatDocument } from "../src/render/json.ts";
import { arg } from "./lib/args.ts";

const BIN = join(import.meta.dir, "..", "dist", "llmbench");
const requests = arg("requests", "10000");
const concurrency = arg("concurrency", "64");
const maxTokens = arg("max-tokens", "100");
const scale = Number(arg("scale", "0"));
const dir = mkdtempSync(join(tmpdir(), "llmbench-report-size-"));
const kb = (path: string) => `${(statSync(path).size / 1024).toFixed(0)} KB`;

async function run(args: string[]): Promise<void> {
  const p = Bun.spawn([BIN, ...args], { stdout: "ignore", stderr: "pipe" });
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  if (code !== 0) throw new Error(`llmbench ${args.join(" ")} exited ${code}: ${err}`);
}

async function report(result: string, html: string): Promise<number> {
  const t0 = performance.now();
  await run(["report", result, "-o", html, "-q"]);
  return (performance.now() - t0) / 1000;
}

const server = Bun.spawn(
  [BIN, "serve", "--port", "0", "--decode-step-ms", "1", "--batch-window-ms", "1", "--max-batch-size", "64"],
  { stdout: "pipe", stderr: "ignore" },
);
try {
  const reader = (server.stdout as ReadableStream<Uint8Array>).getReader();
  let head = "";
  while (!head.includes("\n")) head += new TextDecoder().decode((await reader.read()).value);
  reader.releaseLock();
  const url = head.match(/listening on (\S+)/)![1];
  const result = join(dir, "result.json");
  const t0 = performance.now();
  await run([
    "run",
    "--endpoint",
    `${url}/v1/completions`,
    "-n",
    requests,
    "-c",
    concurrency,
    "--max-tokens",
    maxTokens,
    "--seed",
    "1",
    "-q",
    "-o",
    result,
  ]);
  console.log(
    `run: ${requests} requests, concurrency ${concurrency}, max tokens ${maxTokens}, in ${((performance.now() - t0) / 1000).toFixed(1)} s; result ${kb(result)}`,
  );
  const html = join(dir, "report.html");
  const s = await report(result, html);
  console.log(
    `report for ${requests} requests: ${kb(html)} (${statSync(html).size} bytes), written in ${s.toFixed(2)} s`,
  );
  if (scale > 1) {
    const doc = JSON.parse(readFileSync(result, "utf8")) as ResultDocument;
    const records = doc.requests as unknown as RawRecord[];
    const span = Math.max(...records.map((r) => r.tEnd ?? r.tSend));
    const big: RawRecord[] = [];
    for (let k = 0; k < scale; k++) {
      const dt = k * span;
      const shift = (t: number | null) => (t === null ? null : t + dt);
      for (const r of records)
        big.push({
          ...r,
          seq: big.length,
          tSched: shift(r.tSched),
          tSend: r.tSend + dt,
          tFirstByte: shift(r.tFirstByte),
          tEnd: shift(r.tEnd),
          tokenTimes: r.tokenTimes.map((t) => t + dt),
        });
    }
    const { summary, digests } = summarizeRun(big, String(doc.config.tokenizer));
    const scaled = join(dir, "scaled.json");
    writeFileSync(
      scaled,
      formatDocument({ ...doc, summary, digests, requests: big, config: { ...doc.config, requests: big.length } }),
    );
    const scaledHtml = join(dir, "scaled.html");
    const ss = await report(scaled, scaledHtml);
    console.log(
      `report for ${big.length} requests (${scale} × the run, shifted in time): result ${kb(scaled)}, page ${kb(scaledHtml)}, written in ${ss.toFixed(2)} s`,
    );
  }
} finally {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
