/** Shared by integration tests: options for a run against a URL, and a scripted Bun.serve peer. */
import { parseRunOptions, type RunOptions } from "../../src/core/options.ts";

export function runOptions(endpoint: string, args: Record<string, string | boolean> = {}, raw: string[] = []): RunOptions {
  return parseRunOptions({ endpoint, quiet: true, seed: "1", ...args }, raw, {}, () => 1);
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
