/**
 * Every response is bounded (README "Response caps"): against real sockets that send more than any
 * answer would, the request ends as a `protocol` error naming the cap, and the connection is dropped
 * (the server sees its stream cancelled long before it has sent what it meant to).
 */
import { afterEach, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { runBenchmark } from "../../src/app/run.ts";
import { runOptions, scripted } from "./helpers.ts";

const MiB = 1024 * 1024;
const stops: Array<() => void> = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

/**
 * A server that answers every request with `head`, then `piece` over and over until it has sent
 * `totalBytes` or the client goes away; it counts what it sent and how many streams were cancelled.
 */
function flood(contentType: string, head: string, piece: string, totalBytes: number) {
  const stats = { sentBytes: 0, cancelled: 0, completed: 0 };
  const enc = new TextEncoder();
  const chunk = enc.encode(piece.repeat(Math.ceil(65536 / piece.length)));
  const peer = scripted(() => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        start(c) {
          c.enqueue(enc.encode(head));
        },
        pull(c) {
          if (sent >= totalBytes) {
            stats.completed++;
            c.close();
            return;
          }
          sent += chunk.length;
          stats.sentBytes += chunk.length;
          c.enqueue(chunk);
        },
        cancel() {
          stats.cancelled++;
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { headers: { "content-type": contentType } });
  });
  stops.push(peer.stop);
  return { url: peer.url, stats };
}

const chat = (url: string, args: Record<string, string | boolean> = {}) =>
  runOptions(`${url}/v1/chat/completions`, {
    model: "m",
    requests: "2",
    concurrency: "1",
    warmup: "0",
    "repeat-ratio": "0",
    "max-tokens": "4",
    timeout: "30",
    ...args,
  });

test("an SSE line that never ends: protocol error at --max-message, the stream is cancelled", async () => {
  const { url, stats } = flood("text/event-stream", "data: ", "a", 200 * MiB);
  const { doc, records } = await runBenchmark(chat(url, { "max-message": "256KiB" }));
  expect(doc.summary.errors.protocol).toBe(2);
  expect(records[0].error!.message).toContain("--max-message");
  expect(records[0].error!.message).toContain("256 KiB");
  expect(stats.completed).toBe(0);
  // the client went away long before the 400 MB the server meant to send
  expect(stats.sentBytes).toBeLessThan(2 * 50 * MiB);
  await waitFor(() => stats.cancelled === 2);
});

test("a 50 MB SSE comment line is a line too", async () => {
  const { url, stats } = flood("text/event-stream", ": ", "x", 50 * MiB);
  const { doc, records } = await runBenchmark(chat(url, { requests: "1" }));
  expect(doc.summary.errors.protocol).toBe(1);
  // the default cap: 4 MiB
  expect(records[0].error!.message).toContain("passed 4 MiB (--max-message)");
  expect(stats.completed).toBe(0);
  await waitFor(() => stats.cancelled === 1);
});

test("an NDJSON line that never ends is capped the same way", async () => {
  const { url, stats } = flood("application/x-ndjson", '{"text": "', "a", 100 * MiB);
  const { doc, records } = await runBenchmark(
    runOptions(`${url}/generate`, {
      requests: "1",
      concurrency: "1",
      warmup: "0",
      "repeat-ratio": "0",
      stream: true,
      "max-message": "1MiB",
    }),
  );
  expect(doc.summary.errors.protocol).toBe(1);
  expect(records[0].error!.message).toContain("NDJSON line passed 1 MiB");
  expect(stats.completed).toBe(0);
});

test("a huge non-streamed JSON body: capped by --max-message before it is parsed", async () => {
  const { url, stats } = flood("application/json", '{"text": "', "a", 500 * MiB);
  const { doc, records } = await runBenchmark(
    runOptions(`${url}/generate`, {
      requests: "1",
      concurrency: "1",
      warmup: "0",
      "repeat-ratio": "0",
      "max-message": "2MiB",
    }),
  );
  expect(doc.summary.errors.protocol).toBe(1);
  expect(records[0].error!.message).toContain("the JSON body passed 2 MiB (--max-message)");
  expect(stats.completed).toBe(0);
  await waitFor(() => stats.cancelled === 1);
});

test("a stream of valid events past --max-body: protocol error, the stream is cancelled", async () => {
  const event = `data: {"choices":[{"index":0,"delta":{"content":"${"word ".repeat(40)}"}}]}\n\n`;
  const { url, stats } = flood("text/event-stream", "", event, 100 * MiB);
  const { doc, records } = await runBenchmark(chat(url, { requests: "1", "max-body": "1MiB" }));
  expect(doc.summary.errors.protocol).toBe(1);
  expect(records[0].error!.message).toContain("passed 1 MiB (--max-body)");
  expect(stats.completed).toBe(0);
  await waitFor(() => stats.cancelled === 1);
});

test("a gzip bomb: the cap counts inflated bytes, not the bytes on the wire", async () => {
  // 32 MiB of JSON that gzip packs into ~32 KiB: the wire carries far less than --max-body
  const inflated = `{"choices":[{"index":0,"text":"${"a".repeat(32 * MiB)}"}]}`;
  const packed = gzipSync(inflated);
  expect(packed.length).toBeLessThan(MiB);
  const server: Server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, {
      "content-type": "application/json",
      "content-encoding": "gzip",
      "content-length": packed.length,
    });
    res.end(packed);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  stops.push(() => server.close());
  const port = (server.address() as { port: number }).port;
  const { doc, records } = await runBenchmark(
    runOptions(`http://127.0.0.1:${port}/v1/completions`, {
      model: "m",
      stream: false,
      requests: "2",
      concurrency: "1",
      warmup: "0",
      "repeat-ratio": "0",
      "max-body": "4MiB",
      "max-message": "64MiB",
    }),
  );
  expect(doc.summary.errors.protocol).toBe(2);
  expect(records[0].error!.message).toContain("passed 4 MiB (--max-body)");
});

test("compressed answers are inflated by the client (gzip, deflate, br); a coding not asked for is a protocol error", async () => {
  const answer = JSON.stringify({
    choices: [{ index: 0, text: "one two three", finish_reason: "stop" }],
    usage: { prompt_tokens: 2, completion_tokens: 3 },
  });
  const codings: Record<string, (b: string) => Uint8Array> = {
    gzip: (b) => gzipSync(b),
    deflate: (b) => deflateSync(b),
    br: (b) => brotliCompressSync(b),
    compress: (b) => new TextEncoder().encode(b),
  };
  const asked: string[] = [];
  let n = 0;
  const names = Object.keys(codings);
  const peer = scripted((req) => {
    asked.push(req.headers.get("accept-encoding") ?? "");
    const coding = names[n++ % names.length];
    return new Response(codings[coding](answer), {
      headers: { "content-type": "application/json", "content-encoding": coding },
    });
  });
  stops.push(peer.stop);
  const { doc, records } = await runBenchmark(
    runOptions(`${peer.url}/v1/completions`, {
      model: "m",
      stream: false,
      requests: "4",
      concurrency: "1",
      warmup: "0",
      "repeat-ratio": "0",
    }),
  );
  expect(doc.summary.requests.succeeded).toBe(3);
  expect(doc.summary.tokens.output).toBe(3 * 3);
  expect(records[3].error!.class).toBe("protocol");
  expect(records[3].error!.message).toContain("Content-Encoding: compress, which was not asked for");
  expect(asked[0]).toBe("gzip, deflate, br, zstd");
});

test("a compressed body that stalls still ends at --timeout", async () => {
  const packed = gzipSync(JSON.stringify({ choices: [{ index: 0, text: "word ".repeat(50_000) }] }));
  const server: Server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
    res.write(packed.subarray(0, packed.length >> 1)); // half, then nothing
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  stops.push(() => server.closeAllConnections());
  stops.push(() => server.close());
  const port = (server.address() as { port: number }).port;
  const { records } = await runBenchmark(
    runOptions(`http://127.0.0.1:${port}/v1/completions`, {
      model: "m",
      stream: false,
      requests: "1",
      concurrency: "1",
      warmup: "0",
      "repeat-ratio": "0",
      timeout: "0.5",
    }),
  );
  expect(records[0].error!.class).toBe("timeout");
  expect(records[0].tEnd! - records[0].tSend).toBeGreaterThanOrEqual(499);
});

test("answers within the caps are untouched", async () => {
  const text = "word ".repeat(2000);
  const peer = scripted(() => Response.json({ text, cached: false }));
  stops.push(peer.stop);
  const { doc } = await runBenchmark(
    runOptions(`${peer.url}/generate`, {
      requests: "2",
      concurrency: "1",
      warmup: "0",
      "repeat-ratio": "0",
      "max-message": "16KiB",
      "max-body": "16KiB",
    }),
  );
  expect(doc.summary.requests.succeeded).toBe(2);
  expect(doc.summary.tokens.output).toBe(2 * 2000);
  expect(doc.config.max_body_bytes).toBe(16 * 1024);
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > until) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}
