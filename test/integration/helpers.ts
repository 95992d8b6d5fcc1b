/** Shared by integration tests: options for a run against a URL, and a scripted Bun.serve peer. */
import { parseRunOptions, type RunOptions } from "../../src/core/options.ts";
import { argv } from "../core/helpers.ts";

export function runOptions(
  endpoint: string,
  args: Record<string, string | boolean> = {},
  raw: string[] = [],
): RunOptions {
  return parseRunOptions([...argv({ endpoint, quiet: true, seed: "1", ...args }), ...raw], {}, () => 1);
}

/** A Bun.serve on 127.0.0.1:0 whose handler is the test's script. */
export function scripted(fetch: (req: Request) => Response | Promise<Response>) {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true), server };
}

/** An SSE body that sends `events` with `gapMs` between them. */
export function sseStream(events: string[], gapMs: number, firstDelayMs = 0): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream({
    async start(controller) {
      await Bun.sleep(firstDelayMs);
      for (let i = 0; i < events.length; i++) {
        if (i > 0) await Bun.sleep(gapMs);
        controller.enqueue(enc.encode(events[i]));
      }
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

export const BIN = `${import.meta.dir}/../../dist/llmbench`;

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run the compiled binary to the end. */
/** The command from source (`bun src/cli.ts`): for tests that must not depend on a built binary. */
export const CLI_SOURCE = `${import.meta.dir}/../../src/cli.ts`;

/** Run llmbench (the compiled binary, or with `source` the command from source) to its end. */
export async function cli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; source?: boolean } = {},
): Promise<CliResult> {
  const proc = Bun.spawn([...(options.source ? [process.execPath, CLI_SOURCE] : [BIN]), ...args], {
    stdout: "pipe",
    stderr: "pipe",
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

/** The first line a process writes to stdout. */
async function firstLine(stdout: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stdout.getReader();
  let head = "";
  while (!head.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    head += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return head;
}

/** `llmbench serve` from the binary (`--port 0` unless `args` names one); resolves with its URL once it listens. */
export async function serveBinary(args: string[] = []) {
  const proc = Bun.spawn([BIN, "serve", ...(args.includes("--port") ? [] : ["--port", "0"]), ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const head = await firstLine(proc.stdout);
  const url = head.match(/listening on (\S+)/)?.[1];
  if (!url) throw new Error(`serve did not start: ${head}`);
  return { url, proc };
}

/** A port nothing listens on (a server was there a moment ago). */
export function freePort(): number {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const port = s.port!;
  s.stop(true);
  return port;
}

/** Poll `cond` until it holds (an observed event, not a fixed sleep); throws after `limitMs` so a test fails instead of hanging. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > limitMs) throw new Error(`gave up waiting for ${what}`);
    await Bun.sleep(10);
  }
}
