/**
 * The hostile matrix (issue 10 §2): servers that misbehave the way real ones do, each on a real
 * socket on 127.0.0.1, and the compiled `dist/llmbench` run against each. Prints, per case: exit
 * code, error classes (from the result file), wall time, peak RSS of the client (its re-executed
 * child included), and what the server saw. Goal: no case above 300 MB, none longer than its budget
 * (--timeout + 5 s; a run that must wait out two waves of timeouts gets two), every case classed.
 *
 *   npx bun scripts/build.ts && npx bun scripts/hostile.ts            # every case (~3 min)
 *   npx bun scripts/hostile.ts gzip-bomb busy-timeout                  # some cases
 *   npx bun scripts/hostile.ts --list
 *
 * The verdict column: ok, or what missed — RSS (> 300 MB), time (> budget), unclassed (failed
 * requests without a class), unreadable (compare/merge refuse the result), class (not the class the
 * case must end with), leak (a credential reached another origin), GET (a POST became a GET),
 * late (a timeout ended > 100 ms after --timeout), tmp (a temporary file left behind once the next run to the same path has started), half (a
 * half-written result).
 *
 * Peak RSS comes from `/usr/bin/time -f %M` when present (wait4's ru_maxrss: the largest of the
 * process and its waited-for children), else from polling VmHWM in /proc/<pid>/status.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import { importRun } from "../src/core/importers/index.ts";

const ROOT = new URL("..", import.meta.url).pathname;
/** LLMBENCH_BIN runs another build (e.g. an older one, for a before/after) */
const BIN = process.env.LLMBENCH_BIN ?? join(ROOT, "dist/llmbench");
const MiB = 1024 * 1024;
const RSS_GOAL_MB = 300;
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

interface Served {
  url: string;
  stop(): void;
  /** what the server saw, for the detail column */
  detail?(): string;
  /** what the server saw that breaks a rule (a credential sent to another origin, …) */
  problems?(): string[];
}

interface Outcome {
  code: number;
  wallS: number;
  peakMb: number | null;
  classes: string;
  stderr: string;
  doc: Record<string, any> | null;
  /** the result file read back by compare's and merge's reader: "yes", "no file", or why it was refused */
  readable: string;
}

interface Case {
  name: string;
  what: string;
  timeoutS: number;
  /** the run's time budget in s (default timeout + 5) */
  budgetS?: number;
  serve(): Promise<Served>;
  args(url: string): string[];
  /** `ulimit -n` for the client */
  ulimit?: number;
  /** a case that runs the client itself (kill -9 during the write) */
  custom?(served: Served, dir: string): Promise<{ outcome: Outcome; detail: string; problems: string[] }>;
  /** extra detail from the run's outcome */
  inspect?(o: Outcome): string;
  /** the error classes the case must end with, when it must: anything else is flagged "class" */
  classes?: string;
  /** rules the run's outcome breaks, e.g. timeouts that ended late */
  problems?(o: Outcome): string[];
}

// ---------- servers ----------

function bunServer(fetch: (req: Request) => Response | Promise<Response>, detail?: () => string): Served {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch, idleTimeout: 0 });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true), detail };
}

/** A body of `head`, then `piece` repeated to `total` bytes, then `tail` (or, with hold, an open connection that sends nothing more). */
function flood(contentType: string, head: string, piece: string, total: number, tail = "", hold = false): Served {
  const enc = new TextEncoder();
  const chunk = enc.encode(piece.repeat(Math.max(1, Math.floor(65536 / piece.length))));
  const stats = { started: 0, cancelled: 0, sentMb: 0 };
  return bunServer(
    () => {
      stats.started++;
      let sent = 0;
      const body = new ReadableStream<Uint8Array>(
        {
          start(c) {
            c.enqueue(enc.encode(head));
          },
          async pull(c) {
            if (sent >= total) {
              if (tail) c.enqueue(enc.encode(tail));
              if (hold) await new Promise(() => {});
              c.close();
              return;
            }
            sent += chunk.length;
            stats.sentMb += chunk.length / MiB;
            c.enqueue(chunk);
          },
          cancel() {
            stats.cancelled++;
          },
        },
        { highWaterMark: 0 },
      );
      return new Response(body, { headers: { "content-type": contentType } });
    },
    () =>
      `server: ${stats.started} responses begun, ${stats.cancelled} dropped by the client, ${stats.sentMb.toFixed(0)} MB sent`,
  );
}

const completion = (text: string) =>
  JSON.stringify({ choices: [{ index: 0, text, finish_reason: "length" }], usage: null });
const chunk = (content: unknown) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;

function letters(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let s = "";
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192).map((b) => 97 + (b % 26)));
  return s;
}

/** 2 GiB of JSON, gzipped (~2 MB): built once, kept in the temp folder. */
async function gzipBomb(): Promise<Uint8Array> {
  const path = join(tmpdir(), "llmbench-hostile-bomb-2g.json.gz");
  if (existsSync(path)) return new Uint8Array(readFileSync(path));
  const parts: Buffer[] = [];
  const gz = createGzip({ level: 9 });
  gz.on("data", (c: Buffer) => parts.push(c));
  const done = new Promise((r) => gz.on("end", r));
  const block = Buffer.alloc(64 * MiB, 0x61);
  gz.write('{"choices":[{"index":0,"text":"');
  for (let i = 0; i < 32; i++) {
    if (!gz.write(block)) await new Promise((r) => gz.once("drain", r));
  }
  gz.end('"}]}');
  await done;
  const bytes = Buffer.concat(parts);
  writeFileSync(path, bytes);
  return new Uint8Array(bytes);
}

/** A raw TCP server that answers every request with `reply` and closes. */
function rawServer(reply: string | Uint8Array): Promise<Served> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    s.once("data", () => s.end(reply));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        stop: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

function redirect(status: number): Served {
  const seen = { requests: 0, apiKey: 0, auth: 0, methods: new Set<string>() };
  const other = bunServer((req) => {
    seen.requests++;
    if (req.headers.get("x-api-key")) seen.apiKey++;
    if (req.headers.get("authorization")) seen.auth++;
    seen.methods.add(req.method);
    return new Response(completion("one two three"), { headers: { "content-type": "application/json" } });
  });
  const first = bunServer(() => new Response(null, { status, headers: { location: `${other.url}/v1/completions` } }));
  return {
    url: first.url,
    stop: () => {
      first.stop();
      other.stop();
    },
    detail: () =>
      `other origin: ${seen.requests} requests, X-Api-Key on ${seen.apiKey}, Authorization on ${seen.auth}, methods ${[...seen.methods].join("/") || "-"}`,
    problems: () => [...(seen.apiKey + seen.auth > 0 ? ["leak"] : []), ...(seen.methods.has("GET") ? ["GET"] : [])],
  };
}

const never = () => new Promise<Response>(() => {});

// ---------- the cases ----------

const openaiNoStream = (url: string, extra: string[] = []) => [
  "--endpoint",
  `${url}/v1/completions`,
  "--model",
  "m",
  "--no-stream",
  ...extra,
];
const chatStream = (url: string, extra: string[] = []) => [
  "--endpoint",
  `${url}/v1/chat/completions`,
  "--model",
  "m",
  ...extra,
];

const CASES: Case[] = [
  {
    name: "gzip-bomb",
    what: "gzip body inflating to 2 GiB",
    timeoutS: 5,
    async serve() {
      const bomb = await gzipBomb();
      return bunServer(
        () => new Response(bomb, { headers: { "content-type": "application/json", "content-encoding": "gzip" } }),
      );
    },
    args: (url) => openaiNoStream(url),
    classes: "protocol:10",
  },
  {
    name: "endless-line-c1",
    what: "SSE line that never ends (100 MB, no newline), --timeout 60, c=1",
    timeoutS: 60,
    serve: async () => flood("text/event-stream", "data: ", "a", 100 * MiB, "", true),
    args: (url) => chatStream(url, ["--concurrency", "1"]),
    classes: "protocol:10",
  },
  {
    name: "endless-line-c5",
    what: "SSE line that never ends (100 MB, no newline), --timeout 60, c=5",
    timeoutS: 60,
    serve: async () => flood("text/event-stream", "data: ", "a", 100 * MiB, "", true),
    args: (url) => chatStream(url, ["--concurrency", "5"]),
    classes: "protocol:10",
  },
  {
    name: "comment-50mb",
    what: "a 50 MB SSE comment line, then a proper answer",
    timeoutS: 5,
    serve: async () => flood("text/event-stream", ": ", "x", 50 * MiB, `\n\n${chunk("hello")}data: [DONE]\n\n`),
    args: (url) => chatStream(url),
    classes: "protocol:10",
  },
  {
    name: "nospace-128k",
    what: "non-streamed answer of 'a' x 128 KB, no spaces, o200k",
    timeoutS: 5,
    serve: async () => {
      const body = completion("a".repeat(128 * 1024));
      return bunServer(() => new Response(body, { headers: { "content-type": "application/json" } }));
    },
    args: (url) => openaiNoStream(url, ["--tokenizer", "o200k"]),
  },
  {
    name: "nospace-512k-random",
    what: "non-streamed answer of 512 KB random letters (no merge cache), o200k",
    timeoutS: 5,
    serve: async () =>
      bunServer(
        () => new Response(completion(letters(512 * 1024)), { headers: { "content-type": "application/json" } }),
      ),
    args: (url) => openaiNoStream(url, ["--tokenizer", "o200k"]),
  },
  {
    name: "json-500mb",
    what: "500 MB JSON body, --timeout 60",
    timeoutS: 60,
    serve: async () => flood("application/json", '{"choices":[{"index":0,"text":"', "a", 500 * MiB, '"}]}'),
    args: (url) => openaiNoStream(url),
    classes: "protocol:10",
  },
  {
    name: "redirect-302",
    what: "302 to another origin, with --header X-Api-Key and --api-key",
    timeoutS: 5,
    serve: async () => redirect(302),
    args: (url) => openaiNoStream(url, ["--header", "X-Api-Key: hostile-secret", "--api-key", "sk-hostile"]),
  },
  {
    name: "redirect-307",
    what: "307 to another origin, with --header X-Api-Key and --api-key",
    timeoutS: 5,
    serve: async () => redirect(307),
    args: (url) => openaiNoStream(url, ["--header", "X-Api-Key: hostile-secret", "--api-key", "sk-hostile"]),
  },
  {
    name: "malformed-status",
    what: "malformed HTTP status line",
    timeoutS: 5,
    serve: () => rawServer("HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\n{}"),
    args: (url) => openaiNoStream(url),
    classes: "protocol",
  },
  {
    name: "garbage",
    what: "bytes that are not HTTP at all",
    timeoutS: 5,
    serve: () =>
      rawServer(
        new Uint8Array([
          0x53, 0x53, 0x48, 0x2d, 0x32, 0x2e, 0x30, 0x0d, 0x0a, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a,
        ]),
      ),
    args: (url) => openaiNoStream(url),
    classes: "protocol",
  },
  {
    name: "fd-exhaustion",
    what: "--rate 5000 for 2 s against a slow server (3 s per answer), ulimit -n 256",
    timeoutS: 5,
    budgetS: 2 + 5 + 5,
    ulimit: 256,
    serve: async () =>
      bunServer(async () => {
        await Bun.sleep(3000);
        return new Response(completion("one two"), { headers: { "content-type": "application/json" } });
      }),
    args: (url) => [...openaiNoStream(url), "--rate", "5000", "--duration", "2s"],
    // the client's own exhaustion is never blamed on the server
    problems: (o) => (/connect:/.test(o.classes) ? ["class"] : []),
  },
  {
    name: "nonsense-usage",
    what: "usage 1e308 / -5, text: 42, a chunk without choices (and one good answer)",
    timeoutS: 5,
    serve: async () => {
      const usage = (n: string) => `data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":${n}}}\n\n`;
      const answers = [
        chunk("one") + chunk(" two") + usage("2"),
        chunk("one") + usage("1e308"),
        chunk("one") + usage("-5"),
        chunk(42),
        chunk("one") + `data: {"id":"x"}\n\n`,
      ];
      let n = 0;
      return bunServer(
        () =>
          new Response(`${answers[n++ % answers.length]}data: [DONE]\n\n`, {
            headers: { "content-type": "text/event-stream" },
          }),
      );
    },
    args: (url) => chatStream(url, ["--concurrency", "1"]),
    classes: "protocol:8",
    inspect: (o) => {
      const tp = o.doc?.summary?.throughput?.output_tokens_per_s;
      return `output tok/s ${tp === undefined ? "-" : String(tp)}`;
    },
  },
  {
    name: "all-fail-c5",
    what: "every request fails (the server never answers), -n 10 -c 5",
    timeoutS: 5,
    // the give-up rule: the first wave (5) times out, the run stops and aborts what it sent since
    classes: "timeout:5 aborted",
    budgetS: 2 * 5 + 5,
    serve: async () => bunServer(never),
    args: (url) => openaiNoStream(url, ["--concurrency", "5"]),
  },
  {
    name: "busy-timeout",
    what: "--timeout 3 while busy: half the requests hang, half bring 512 KB without spaces, c=10",
    timeoutS: 3,
    budgetS: 2 * 3 + 5,
    serve: async () => {
      let n = 0;
      return bunServer(() =>
        n++ % 2 === 0
          ? never()
          : new Response(completion(letters(512 * 1024)), { headers: { "content-type": "application/json" } }),
      );
    },
    args: (url) => openaiNoStream(url, ["--concurrency", "10", "--requests", "20", "--tokenizer", "o200k"]),
    inspect: (o) => {
      const recs = (o.doc?.requests ?? []) as Array<{
        tSend: number;
        tEnd: number | null;
        error: { class: string } | null;
      }>;
      const over = recs
        .filter((r) => r.error?.class === "timeout" && r.tEnd !== null)
        .map((r) => r.tEnd! - r.tSend - 3000);
      return over.length
        ? `${over.length} timeouts ended ${Math.min(...over).toFixed(0)}..${Math.max(...over).toFixed(0)} ms after --timeout`
        : "no timeouts";
    },
    problems: (o) => (lateMs(o, 3000) > 100 ? ["late"] : []),
  },
  {
    name: "kill9-write",
    what: "kill -9 while the result file is written (8 tries)",
    timeoutS: 5,
    serve: async () =>
      bunServer(
        () => new Response(completion("one two three four"), { headers: { "content-type": "application/json" } }),
      ),
    args: (url) => openaiNoStream(url),
    custom: killDuringWrite,
  },
];

// ---------- running ----------

/** How long after the deadline the latest timed-out request ended (from the records). */
function lateMs(o: Outcome, timeoutMs: number): number {
  const recs = (o.doc?.requests ?? []) as Array<{
    tSend: number;
    tEnd: number | null;
    error: { class: string } | null;
  }>;
  return Math.max(
    0,
    ...recs.filter((r) => r.error?.class === "timeout" && r.tEnd !== null).map((r) => r.tEnd! - r.tSend - timeoutMs),
  );
}

function classesOf(doc: Record<string, any> | null): string {
  const errors = doc?.summary?.errors as Record<string, number> | undefined;
  if (!errors) return "-";
  const parts = Object.entries(errors)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${c}:${n}`);
  return parts.length ? parts.join(" ") : "none";
}

async function runClient(
  args: string[],
  dir: string,
  ulimit?: number,
  onStart?: (pid: number) => void,
): Promise<Outcome> {
  const out = join(dir, "result.json");
  rmSync(out, { force: true });
  const timeFile = join(dir, "time.txt");
  rmSync(timeFile, { force: true });
  const inner = [...(TIME ? [TIME, "-f", "%M", "-o", timeFile] : []), BIN, "run", ...args, "--quiet", "--output", out];
  const argv = ulimit ? ["sh", "-c", `ulimit -n ${ulimit} && exec "$@"`, "sh", ...inner] : inner;
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  onStart?.(child.pid!);
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  let hwmKb = 0;
  const poll = TIME
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
          if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
        } catch {}
      }, 20);
  const code: number = await new Promise((resolve) => child.on("exit", (c, sig) => resolve(c ?? (sig ? 128 + 9 : -1))));
  clearInterval(poll);
  const wallS = (performance.now() - t0) / 1000;
  if (TIME && existsSync(timeFile)) hwmKb = Number(readFileSync(timeFile, "utf8").trim().split("\n").pop()) || 0;
  let doc: Record<string, any> | null = null;
  let readable = "no file";
  if (existsSync(out)) {
    const text = readFileSync(out, "utf8");
    try {
      doc = JSON.parse(text);
      importRun(text, out); // the reader compare and merge use
      readable = "yes";
    } catch (err) {
      readable = `refused: ${(err as Error).message.slice(0, 80)}`;
    }
  }
  return {
    code,
    wallS,
    peakMb: hwmKb ? hwmKb / 1024 : null,
    classes: classesOf(doc),
    stderr: stderr.trim(),
    doc,
    readable,
  };
}

/** The processes `pid` started, and theirs (Linux /proc). */
function childPids(pid: number): number[] {
  let direct: number[] = [];
  try {
    direct = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {}
  return direct.flatMap((c) => [...childPids(c), c]);
}

async function killDuringWrite(
  served: Served,
  dir: string,
): Promise<{ outcome: Outcome; detail: string; problems: string[] }> {
  const tries = 8;
  let hit = 0;
  let afterKill = 0;
  let leftovers = 0;
  let halfWritten = 0;
  let last: Outcome | undefined;
  for (let i = 0; i < tries; i++) {
    const sub = mkdtempSync(join(dir, "k-"));
    let pid = 0;
    let killed = false;
    const watcher = setInterval(() => {
      if (killed || !pid) return;
      // the result's temporary file is opened before the run (empty): the write has begun once it has bytes
      if (readdirSync(sub).some((f) => f.endsWith(".tmp") && statSync(join(sub, f), { throwIfNoEntry: false })?.size)) {
        killed = true;
        // llmbench itself, not only /usr/bin/time in front of it (an orphan would finish the write)
        for (const p of [...childPids(pid), pid]) {
          try {
            process.kill(p, "SIGKILL");
          } catch {}
        }
      }
    }, 0);
    // many records make the file large (seconds of JSON) and the write window wide
    last = await runClient(
      [...openaiNoStream(served.url), "--requests", "4000", "--concurrency", "32", "--warmup", "0"],
      sub,
      undefined,
      (p) => (pid = p),
    );
    clearInterval(watcher);
    if (killed) hit++;
    const files = readdirSync(sub).filter((f) => f !== "time.txt");
    afterKill += files.filter((f) => f.endsWith(".tmp")).length;
    if (files.includes("result.json")) {
      try {
        JSON.parse(readFileSync(join(sub, "result.json"), "utf8"));
      } catch {
        halfWritten++;
      }
    }
    // the rule (README "Output paths"): the next command given the same path removes what a killed write left
    await runClient([...openaiNoStream(served.url), "--requests", "5", "--warmup", "0"], sub);
    leftovers += readdirSync(sub).filter((f) => f.endsWith(".tmp")).length;
  }
  return {
    outcome: last!,
    detail: `killed during the write ${hit}/${tries}; .tmp files left by the kill: ${afterKill}, after the next run to the same path: ${leftovers}; half-written results: ${halfWritten}`,
    problems: [...(leftovers > 0 ? ["tmp"] : []), ...(halfWritten > 0 ? ["half"] : [])],
  };
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes("--list")) {
    for (const c of CASES) console.log(`${c.name.padEnd(20)} ${c.what}`);
    return;
  }
  if (!existsSync(BIN)) {
    console.error(`${BIN} is missing: build it first with 'npx bun scripts/build.ts'`);
    process.exit(2);
  }
  const chosen = argv.length ? CASES.filter((c) => argv.includes(c.name)) : CASES;
  const unknown = argv.filter((a) => !CASES.some((c) => c.name === a));
  if (unknown.length) {
    console.error(`unknown case(s): ${unknown.join(", ")} (see --list)`);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), "llmbench-hostile-"));
  console.log(
    `llmbench hostile matrix — ${BIN}; peak RSS via ${TIME ? "/usr/bin/time (ru_maxrss)" : "/proc VmHWM polling"}; goal: ≤ ${RSS_GOAL_MB} MB, ≤ budget, classed`,
  );
  console.log(
    `${"case".padEnd(20)} ${"exit".padStart(4)} ${"wall s".padStart(7)} ${"budget".padStart(6)} ${"peak MB".padStart(8)}  ${"error classes".padEnd(28)} ${"read".padEnd(4)} ${"verdict".padEnd(10)} detail`,
  );
  let failures = 0;
  try {
    for (const c of chosen) {
      const served = await c.serve();
      let outcome: Outcome;
      let detail: string;
      const problems: string[] = [];
      try {
        if (c.custom) {
          const r = await c.custom(served, dir);
          ({ outcome, detail } = r);
          problems.push(...r.problems);
        } else {
          outcome = await runClient(withDefaults(c, served.url), dir, c.ulimit);
          detail = [c.inspect?.(outcome), served.detail?.()].filter(Boolean).join("; ");
          problems.push(...(served.problems?.() ?? []), ...(c.problems?.(outcome) ?? []));
          if (
            c.classes !== undefined &&
            !outcome.classes
              .split(" ")
              .every((k) => c.classes!.split(" ").some((e) => e === k || (!e.includes(":") && k.startsWith(`${e}:`))))
          )
            problems.push("class");
        }
      } finally {
        served.stop();
      }
      const budget = c.budgetS ?? c.timeoutS + 5;
      if (outcome.peakMb !== null && outcome.peakMb > RSS_GOAL_MB) problems.push("RSS");
      if (!c.custom && outcome.wallS > budget) problems.push("time");
      if (!c.custom && (outcome.classes === "-" || (outcome.code !== 0 && outcome.classes === "none")))
        problems.push("unclassed");
      if (!c.custom && outcome.readable !== "yes") problems.push("unreadable");
      if (problems.length) failures++;
      const firstErr = outcome.stderr.split("\n").find((l) => /error|✖|ERROR/i.test(l)) ?? "";
      console.log(
        `${c.name.padEnd(20)} ${String(outcome.code).padStart(4)} ${outcome.wallS.toFixed(1).padStart(7)} ${String(budget).padStart(6)} ${(outcome.peakMb?.toFixed(0) ?? "?").padStart(8)}  ${outcome.classes.padEnd(28)} ${(outcome.readable === "yes" ? "yes" : "NO").padEnd(4)} ${(problems.length ? problems.join(",") : "ok").padEnd(10)} ${detail}${outcome.readable !== "yes" && !c.custom ? ` | result ${outcome.readable}` : ""}${firstErr ? ` | ${firstErr.slice(0, 160)}` : ""}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(failures ? `${failures} case(s) missed the goal` : "every case met the goal");
}

/** --requests 10, --warmup 0 and the case's --timeout, unless the case sets them (or bounds the run by --duration). */
function withDefaults(c: Case, url: string): string[] {
  const own = c.args(url);
  const has = (f: string) => own.includes(f);
  return [
    ...own,
    ...(has("--requests") || has("--duration") ? [] : ["--requests", "10"]),
    ...(has("--warmup") ? [] : ["--warmup", "0"]),
    "--timeout",
    String(c.timeoutS),
  ];
}

await main();
