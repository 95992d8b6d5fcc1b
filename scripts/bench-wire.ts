/**
 * What the request path costs, this tree's `sendRequest` (src/io/http.ts) against another tree's
 * (e.g. a checkout from before a change), in ONE process against one zero-latency server in another
 * process (Bun.serve answering a fixed generate-API body at once). Blocks of requests alternate
 * A B A B… (closed loop at --concurrency), so the machine's load drifts over both alike. Prints
 * requests/s and main-thread CPU µs per request for each block, the medians and the best blocks, and their
 * ratios (A/B; 1 = the same cost).
 * Usage: bun scripts/bench-wire.ts --base DIR [--rounds 10] [--requests 3000] [--concurrency 8] [--stream]
 *   DIR: another checkout of llmbench (its node_modules, or a symlink to this one's)
 */
import { resolve } from "node:path";
import { getProtocol } from "../src/core/protocols/index.ts";
import type { Target } from "../src/io/http.ts";
import { arg } from "./lib/args.ts";

const argv = process.argv.slice(2);
const base = arg("base", "");
if (!base) throw new Error("pass --base DIR: the checkout to compare against");
const rounds = Number(arg("rounds", "10"));
const requests = Number(arg("requests", "3000"));
const concurrency = Number(arg("concurrency", "8"));
const stream = argv.includes("--stream");

const serverCode = `
const words = Array.from({ length: 8 }, (_, i) => "w" + i);
const plain = JSON.stringify({ text: words.join(" "), cached: false });
const sse = words.map((w, i) => "data: " + JSON.stringify({ text: (i ? " " : "") + w }) + "\\n\\n").join("") + 'data: {"done": true, "cached": false}\\n\\ndata: [DONE]\\n\\n';
const s = Bun.serve({ hostname: "127.0.0.1", port: 0, async fetch(req) {
  const body = await req.json();
  return body.stream ? new Response(sse, { headers: { "content-type": "text/event-stream" } }) : new Response(plain, { headers: { "content-type": "application/json" } });
} });
console.log(s.port);
`;
const server = Bun.spawn([process.execPath, "-e", serverCode], { stdout: "pipe", stderr: "inherit" });
const reader = server.stdout.getReader();
let head = "";
while (!head.includes("\n")) head += new TextDecoder().decode((await reader.read()).value);
const url = `http://127.0.0.1:${head.trim()}/generate`;

type Send = (
  target: unknown,
  body: string,
  stop: AbortSignal,
  clock: () => number,
) => Promise<{ error: { message: string } | null }>;
const a = (await import(resolve(`${import.meta.dir}/../src/io/http.ts`))).sendRequest as Send;
const b = (await import(resolve(base, "src/io/http.ts"))).sendRequest as Send;
const target: Target = {
  url,
  headers: { "content-type": "application/json", accept: "*/*" },
  protocol: getProtocol("generate"),
  timeoutMs: 30_000,
  maxBodyBytes: 64 << 20,
  maxMessageBytes: 4 << 20,
  tokenizer: "whitespace",
};
const body = JSON.stringify({ prompt: "hello", max_tokens: 8, temperature: 0, stream });
const stop = new AbortController().signal;
const clock = () => performance.now();

/** main-thread CPU per request of each block, µs: what a loaded machine distorts least */
const cpuA: number[] = [];
const cpuB: number[] = [];

/** `requests` requests, at most `concurrency` in flight: requests per second */
async function block(send: Send, cpu: number[] = []): Promise<number> {
  let next = 0;
  const t0 = clock();
  const c0 = process.threadCpuUsage();
  const worker = async () => {
    while (next++ < requests) {
      const out = await send(target, body, stop, clock);
      if (out.error) {
        server.kill();
        throw new Error(`a request failed: ${out.error.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const c = process.threadCpuUsage(c0);
  cpu.push((c.user + c.system) / requests);
  return (requests / (clock() - t0)) * 1000;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(
  `sendRequest: this tree (A) against ${base} (B); ${stream ? "streamed (SSE)" : "not streamed"}, 8 tokens, concurrency ${concurrency}, ${requests} requests a block, ${rounds} rounds`,
);
await block(a);
await block(b); // warm both paths (JIT, connections) before measuring
const ra: number[] = [];
const rb: number[] = [];
for (let i = 0; i < rounds; i++) {
  // alternate which goes first, so neither always follows the other
  if (i % 2 === 0) {
    ra.push(await block(a, cpuA));
    rb.push(await block(b, cpuB));
  } else {
    rb.push(await block(b, cpuB));
    ra.push(await block(a, cpuA));
  }
  console.log(
    `  round ${i + 1}: A ${ra[i].toFixed(0)} req/s, B ${rb[i].toFixed(0)} req/s, A/B ${(ra[i] / rb[i]).toFixed(3)}; main-thread CPU A ${cpuA[i].toFixed(1)} µs/req, B ${cpuB[i].toFixed(1)}`,
  );
}
const ratios = ra.map((x, i) => x / rb[i]);
console.log(
  `median: A ${median(ra).toFixed(0)} req/s, B ${median(rb).toFixed(0)} req/s; median of per-round A/B ${median(ratios).toFixed(3)}`,
);
// on a shared machine the best block is the least disturbed one: its ratio is the cost of the code itself
console.log(
  `best:   A ${Math.max(...ra).toFixed(0)} req/s, B ${Math.max(...rb).toFixed(0)} req/s; A/B ${(Math.max(...ra) / Math.max(...rb)).toFixed(3)}`,
);
console.log(
  `main-thread CPU per request, median: A ${median(cpuA).toFixed(1)} µs, B ${median(cpuB).toFixed(1)} µs; A/B ${(median(cpuA) / median(cpuB)).toFixed(3)}`,
);
server.kill();
process.exit(0);
