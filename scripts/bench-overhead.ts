/**
 * What llmbench adds to what it measures, against a plain 20-line Bun fetch loop, in ONE invocation
 * (README "Performance: the client's own cost"). Three processes: a Node server, then each client in
 * a process of its own, never two at once, in interleaved rounds (plain, llmbench, llmbench, plain, …)
 * so the machine's drift falls on both alike; the median round is shown.
 *
 * 1. Added TTFT: the server (node:http) answers openai-chat streams: first token 40 ms after the
 *    request's body arrived, then 31 tokens 25 ms apart, usage last. It records its own first-token
 *    time per request (arrival → first write); added TTFT pX = client TTFT pX − server pX.
 *    3 × concurrency requests per client and round, after one unmeasured wave of warm-up.
 *    llmbench's own event-loop lag p99 (summary.client) is shown beside it.
 *    CPU time per request (user + system of each client process, llmbench's start-up taken off) is
 *    the cost a loaded machine does not distort; from source, also that of each client's main thread
 *    (scripts/lib/thread-cpu.ts): the thread that timestamps chunks, where llmbench's cost shows in TTFT.
 * 2. Requests/s against a static server (node:http, a fixed generate-API answer at once), 64 in
 *    flight for --seconds: the plain loop, one llmbench process, `llmbench --workers auto`, and `wrk`
 *    when it is installed.
 *
 * Usage: bun scripts/bench-overhead.ts [--rounds 3] [--levels 256,512] [--seconds 5] [--bin dist/llmbench | --src DIR]
 *   (without --bin llmbench runs from source: bun DIR/src/cli.ts, DIR this checkout unless --src names another)
 */
import { spawnSync } from "node:child_process";
import { arg } from "./lib/args.ts";

const rounds = Number(arg("rounds", "3"));
const levels = arg("levels", "256,512").split(",").map(Number);
const seconds = Number(arg("seconds", "5"));
const bin = arg("bin", "");
const src = arg("src", `${import.meta.dir}/..`);
/** from source, each client runs with the main thread's CPU time measured (a compiled binary cannot preload it) */
const preload = ["--preload", `${import.meta.dir}/lib/thread-cpu.ts`];
const llmbench = bin ? [bin] : [process.execPath, ...preload, `${src}/src/cli.ts`];
/** the same cap for both clients: Bun's default (256) would queue requests silently past it */
const env = { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(Math.max(1024, ...levels) * 2) };

const TOKENS = 32;
const serverCode = `
const http = require("node:http");
const mode = process.argv[1];
let firstMs = [];
const words = Array.from({ length: ${TOKENS} }, (_, i) => (i ? " " : "") + "w" + (i % 7));
const chunk = (content) => "data: " + JSON.stringify({ id: "x", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] }) + "\\n\\n";
const usage = "data: " + JSON.stringify({ id: "x", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta: {}, finish_reason: "length" }], usage: { prompt_tokens: 64, completion_tokens: ${TOKENS}, total_tokens: ${64 + TOKENS} } }) + "\\n\\ndata: [DONE]\\n\\n";
const fixed = JSON.stringify({ text: words.join(""), cached: false });
const server = http.createServer((req, res) => {
  if (req.url.startsWith("/stats")) {
    res.end(JSON.stringify(firstMs));
    firstMs = [];
    return;
  }
  const parts = [];
  req.on("data", (d) => parts.push(d));
  req.on("end", () => {
    if (mode === "static") {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(fixed) });
      res.end(fixed);
      return;
    }
    const t0 = performance.now();
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    let i = 0;
    const next = () => {
      if (i === 0) firstMs.push(performance.now() - t0);
      res.write(chunk(words[i++]));
      if (i < ${TOKENS}) setTimeout(next, 25);
      else res.end(usage);
    };
    setTimeout(next, 40);
  });
});
server.keepAliveTimeout = 60000;
server.maxRequestsPerSocket = 0;
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

/** the plain loop: 20 lines of fetch, no framework, prints [ttftMs…] or the count of requests done */
const plainCode = `
const [url, mode, c, n, seconds] = process.argv.slice(-5).map((a, i) => (i < 2 ? a : Number(a)));
const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi ".repeat(60) }], max_tokens: ${TOKENS}, stream: mode !== "static" });
const ttft = [];
let left = n, done = 0;
const end = performance.now() + seconds * 1000;
async function one(record) {
  const t0 = performance.now();
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json" } });
  const reader = res.body.getReader();
  let first = true;
  for (;;) { const { done: d } = await reader.read(); if (d) break; if (first && record) { ttft.push(performance.now() - t0); first = false; } }
  done++;
}
async function worker(record) { while (mode === "static" ? performance.now() < end : left-- > 0) await one(record); }
if (mode !== "static") await Promise.all(Array.from({ length: c }, () => one(false)));
await Promise.all(Array.from({ length: c }, () => worker(true)));
console.log(JSON.stringify(mode === "static" ? { requestsPerS: done / seconds } : { ttft }));
`;

async function startServer(mode: "stream" | "static"): Promise<{ url: string; kill(): void }> {
  const p = Bun.spawn(["node", "-e", serverCode, mode], { stdout: "pipe", stderr: "inherit" });
  process.on("exit", () => p.kill("SIGTERM")); // never left behind, whatever ends this script
  const reader = p.stdout.getReader();
  let head = "";
  while (!head.includes("\n")) head += new TextDecoder().decode((await reader.read()).value);
  return { url: `http://127.0.0.1:${head.trim()}`, kill: () => p.kill("SIGTERM") };
}

/** CPU time (user + system, ms) of the last process spawnJson ran: a cost the machine's load does not inflate; and of its main thread alone */
let lastCpuMs = 0;
let lastMainCpuMs = NaN;
async function spawnJson(cmd: string[]): Promise<any> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", env });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd.slice(0, 3).join(" ")} … exited ${code}: ${err.slice(-2000)}`);
  const usage = p.resourceUsage();
  lastCpuMs = usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1000 : NaN;
  lastMainCpuMs = Number(err.match(/THREAD_CPU main=([\d.]+)/)?.[1] ?? NaN);
  return JSON.parse(out);
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (h - lo);
};
const median = (xs: number[]) => quantile(xs, 0.5);
const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "-");

console.log(
  `llmbench overhead — ${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores, bun ${Bun.version}, llmbench: ${llmbench.join(" ")}`,
);

// 1. added TTFT
const stream = await startServer("stream");
const llmbenchArgs = (c: number, requests: number, warmup: number) => [
  ...llmbench,
  "run",
  "--endpoint",
  `${stream.url}/v1/chat/completions`,
  "--api",
  "openai-chat",
  "--model",
  "m",
  "--stream",
  "--concurrency",
  String(c),
  "--requests",
  String(requests),
  "--warmup",
  String(warmup),
  "--max-tokens",
  String(TOKENS),
  "--input-tokens",
  "64",
  "--json",
  "--quiet",
  "--no-records",
  "--repeat-ratio",
  "0",
];
// what llmbench costs before its first request (loading the o200k tokenizer, building prompts): taken off its CPU per request
const startupCpu: number[] = [];
const startupMainCpu: number[] = [];
for (let r = 0; r < rounds; r++) {
  await spawnJson(llmbenchArgs(1, 1, 0));
  startupCpu.push(lastCpuMs);
  startupMainCpu.push(lastMainCpuMs);
}
const startupCpuMs = median(startupCpu);
const startupMainCpuMs = median(startupMainCpu);
const serverStats = async () => (await (await fetch(`${stream.url}/stats`)).json()) as number[];
type Row = { p50: number; p99: number; lag99?: number; cpu: number; mainCpu: number };
const rows = new Map<string, Row[]>();
const add = (key: string, row: Row) => rows.set(key, [...(rows.get(key) ?? []), row]);
for (let r = 0; r < rounds; r++) {
  for (const c of levels) {
    const order = r % 2 === 0 ? ["plain", "llmbench"] : ["llmbench", "plain"];
    for (const who of order) {
      await serverStats(); // forget what came before
      let client: { p50: number; p99: number; lag99?: number };
      if (who === "plain") {
        const { ttft } = await spawnJson([
          process.execPath,
          ...preload,
          "-e",
          plainCode,
          `${stream.url}/v1/chat/completions`,
          "stream",
          String(c),
          String(3 * c),
          "0",
        ]);
        client = { p50: quantile(ttft, 0.5), p99: quantile(ttft, 0.99) };
      } else {
        const doc = await spawnJson(llmbenchArgs(c, 3 * c, c));
        const s = doc.summary;
        client = { p50: s.ttft_ms.p50, p99: s.ttft_ms.p99, lag99: s.client?.event_loop_lag_ms?.p99 };
      }
      // both send c warm-up requests and 3c measured ones
      const cpuPerRequest = (lastCpuMs - (who === "plain" ? 0 : startupCpuMs)) / (4 * c);
      const mainCpuPerRequest = (lastMainCpuMs - (who === "plain" ? 0 : startupMainCpuMs)) / (4 * c);
      // the warm-up's first tokens are in the server's list too: only the last 3c are the measured ones
      const server = (await serverStats()).slice(-3 * c);
      const row = {
        p50: client.p50 - quantile(server, 0.5),
        p99: client.p99 - quantile(server, 0.99),
        lag99: client.lag99,
        cpu: cpuPerRequest,
        mainCpu: mainCpuPerRequest,
      };
      add(`${who}:${c}`, row);
      console.error(
        `  round ${r + 1} c=${c} ${who.padEnd(8)} added TTFT p50 ${f(row.p50)} ms, p99 ${f(row.p99)} ms${row.lag99 === undefined ? "" : `, loop lag p99 ${f(row.lag99)} ms`} (server first token p50 ${f(quantile(server, 0.5))} ms), CPU ${f(cpuPerRequest, 3)} ms a request (main thread ${f(mainCpuPerRequest, 3)})`,
      );
    }
  }
}
stream.kill();

console.log(
  `\n1. Added TTFT (client TTFT − the server's own first-token time), ms; ${TOKENS} tokens, first at 40 ms then 25 ms apart; 3 × concurrency requests; median of ${rounds} interleaved rounds`,
);
console.log(
  "| concurrency | plain fetch loop p50 | p99 | llmbench p50 | p99 | ratio p50 | ratio p99 | llmbench event-loop lag p99 | CPU ms a request: plain | llmbench | main thread: plain | llmbench |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const c of levels) {
  const plain = rows.get(`plain:${c}`)!;
  const ours = rows.get(`llmbench:${c}`)!;
  const [pp50, pp99, lp50, lp99] = [
    median(plain.map((x) => x.p50)),
    median(plain.map((x) => x.p99)),
    median(ours.map((x) => x.p50)),
    median(ours.map((x) => x.p99)),
  ];
  console.log(
    `| ${c} | +${f(pp50)} | +${f(pp99)} | +${f(lp50)} | +${f(lp99)} | ${f(lp50 / pp50, 2)} | ${f(lp99 / pp99, 2)} | ${f(median(ours.map((x) => x.lag99!)))} | ${f(median(plain.map((x) => x.cpu)), 3)} | ${f(median(ours.map((x) => x.cpu)), 3)} | ${f(median(plain.map((x) => x.mainCpu)), 3)} | ${f(median(ours.map((x) => x.mainCpu)), 3)} |`,
  );
}

// 2. requests/s against a static server
const fixed = await startServer("static");
const rps = new Map<string, number[]>();
const addRps = (key: string, v: number) => rps.set(key, [...(rps.get(key) ?? []), v]);
const hasWrk = spawnSync("which", ["wrk"]).status === 0;
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ["plain", "llmbench", "workers", "wrk"] : ["wrk", "workers", "llmbench", "plain"];
  for (const who of order) {
    if (who === "plain") {
      addRps(
        who,
        (
          await spawnJson([
            process.execPath,
            "-e",
            plainCode,
            `${fixed.url}/generate`,
            "static",
            "64",
            "0",
            String(seconds),
          ])
        ).requestsPerS,
      );
    } else if (who === "llmbench" || who === "workers") {
      const doc = await spawnJson([
        ...llmbench,
        "run",
        "--endpoint",
        `${fixed.url}/generate`,
        "--api",
        "generate",
        "--concurrency",
        "64",
        "--duration",
        `${seconds}s`,
        "--warmup",
        "64",
        "--max-tokens",
        String(TOKENS),
        "--input-tokens",
        "64",
        "--json",
        "--quiet",
        "--no-records",
        "--repeat-ratio",
        "0",
        ...(who === "workers" ? ["--workers", "auto"] : []),
      ]);
      addRps(who, doc.summary.throughput.requests_per_s);
    } else if (hasWrk) {
      const lua = `wrk.method = "POST"; wrk.body = '{"prompt": "hi", "max_tokens": ${TOKENS}}'; wrk.headers["content-type"] = "application/json"`;
      const script = `/tmp/llmbench-wrk-${process.pid}.lua`;
      await Bun.write(script, lua);
      const out = spawnSync("wrk", ["-t2", "-c64", `-d${seconds}s`, "-s", script, `${fixed.url}/generate`], {
        encoding: "utf8",
      }).stdout;
      addRps(who, Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN));
    }
    console.error(`  round ${r + 1} static ${who}: ${f(rps.get(who)?.at(-1) ?? NaN, 0)} req/s`);
  }
}
fixed.kill();
const m = (k: string) => (rps.has(k) ? median(rps.get(k)!) : NaN);
console.log(
  `\n2. Requests/s against a static server (node:http, fixed generate answer), 64 in flight, ${seconds} s, median of ${rounds} rounds`,
);
console.log(
  "| wrk -t2 -c64 | plain fetch loop | llmbench (1 process) | llmbench / plain | llmbench --workers auto | workers / wrk |",
);
console.log("|---|---|---|---|---|---|");
console.log(
  `| ${hasWrk ? f(m("wrk"), 0) : "not installed"} | ${f(m("plain"), 0)} | ${f(m("llmbench"), 0)} | ${f(m("llmbench") / m("plain"), 2)} | ${f(m("workers"), 0)} | ${f(m("workers") / m("wrk"), 2)} |`,
);
