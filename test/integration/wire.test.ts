/**
 * On the wire, against real sockets: servers that close keep-alive connections after every response
 * (one retry on a fresh connection, counted), servers that reset everything (no retry, exit 3),
 * redirects (never followed, nothing carried to another origin), and what a broken response is called.
 */
import { afterEach, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import schema from "../../schema/result.schema.json" with { type: "json" };
import { createServer } from "node:net";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { concludeRun } from "../../src/app/conclusion.ts";
import { runBenchmark } from "../../src/app/run.ts";
import { classifyFetchError, resetConnectionState } from "../../src/io/http.ts";
import { closingServer, type ClosingServer } from "./closing-server.ts";
import { runOptions, scripted } from "./helpers.ts";

let server: ClosingServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  resetConnectionState();
});

describe("a server that closes the connection after every response, advertising keep-alive", () => {
  for (const stream of [false, true]) {
    for (const concurrency of [1, 8, 64]) {
      test(`${stream ? "streamed" : "not streamed"}, concurrency ${concurrency}: no errors, every reused connection that died retried once`, async () => {
        // 300 ms: the client sends its next request before the close (the llama.cpp race), even on a busy machine
        server = await closingServer({ lingerMs: 300 });
        const requests = concurrency === 64 ? 128 : 40;
        const warmup = Math.min(concurrency, 8);
        const out = await runBenchmark(
          runOptions(`${server.url}/generate`, {
            stream,
            requests: String(requests),
            concurrency: String(concurrency),
            warmup: String(warmup),
            "repeat-ratio": "0",
            timeout: "20",
          }),
        );
        const s = out.doc.summary;
        expect(s.errors).toEqual({
          connect: 0,
          timeout: 0,
          http_4xx: 0,
          http_5xx: 0,
          redirect: 0,
          protocol: 0,
          client: 0,
          aborted: 0,
        });
        expect(s.requests).toEqual({ sent: requests, succeeded: requests, failed: 0 });
        // the server answered each request once: a retry went where the first attempt never got an answer
        expect(server.answered).toBe(warmup + requests);
        // the path was exercised: the server reset requests that came on connections it had answered
        expect(server.resetReused).toBeGreaterThan(0);
        const retried = out.records.filter((r) => r.tRetry !== undefined);
        // every reset the server sent was met by one retry (a reset missed would be an error above)
        expect(retried.length).toBeGreaterThanOrEqual(server.resetReused);
        const measuredRetried = retried.filter((r) => r.phase === "measured").length;
        expect(s.connections).toEqual({
          reconnects: measuredRetried,
          retried_requests: measuredRetried,
          retries_failed: 0,
        });
        // TTFT and E2E run from the first attempt: the user waited for both
        for (const r of retried) expect(r.tRetry!).toBeGreaterThanOrEqual(r.tSend);
        expect(concludeRun(out).exitCode).toBe(0);
      });
    }
  }

  test("open loop (--rate): no errors either", async () => {
    server = await closingServer({ lingerMs: 100 });
    const out = await runBenchmark(
      runOptions(`${server.url}/generate`, {
        rate: "100",
        duration: "1s",
        warmup: "4",
        "repeat-ratio": "0",
        stream: true,
      }),
    );
    const s = out.doc.summary;
    expect(s.requests.failed).toBe(0);
    expect(s.requests.sent).toBeGreaterThan(0);
    expect(server.resetReused).toBeGreaterThan(0);
    expect(server.answered).toBe(out.records.length);
  });

  test("the report shows the retries when there were some; the result with them meets the schema", async () => {
    server = await closingServer({ lingerMs: 100 });
    const out = await runBenchmark(
      runOptions(`${server.url}/generate`, { requests: "10", concurrency: "1", warmup: "1", "repeat-ratio": "0" }),
    );
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    const doc = JSON.parse(JSON.stringify(out.doc));
    expect(doc.requests.some((r: { tRetry?: number }) => r.tRetry !== undefined)).toBe(true);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    const { renderReport } = await import("../../src/render/report.ts");
    const n = out.doc.summary.connections!.retried_requests;
    expect(n).toBeGreaterThan(0);
    expect(renderReport(out.doc)).toContain(`Connections   ${n} requests sent again on a fresh connection`);
  });
});

describe("connection failures that are not retried", () => {
  test("a server that resets every connection: never retried, fails fast with exit 3", async () => {
    server = await closingServer({ resetAfter: 0 });
    const out = await runBenchmark(
      runOptions(`${server.url}/generate`, { requests: "50", concurrency: "4", warmup: "0" }),
    );
    expect(out.unreachable).toBe(true);
    expect(out.records.every((r) => r.tRetry === undefined && r.error?.class === "connect")).toBe(true);
    // one connection per request: nothing was sent twice
    expect(server.resetFresh).toBe(out.records.length);
    expect(out.records.length).toBeLessThan(50);
    expect(concludeRun(out).exitCode).toBe(3);
  });

  test("a retry that fails on its fresh connection is an error, never retried again", async () => {
    // the first connection answers; every later connection is reset on its first bytes
    server = await closingServer({ lingerMs: 1000, resetAfter: 1 });
    const out = await runBenchmark(
      runOptions(`${server.url}/generate`, { requests: "10", concurrency: "1", warmup: "0", "repeat-ratio": "0" }),
    );
    const [first, second, ...rest] = out.records;
    expect(first.error).toBeNull();
    // the second went on the first's connection, which the server had finished with: retried once, failed
    expect(server.resetReused).toBe(1);
    expect(second.tRetry).toBeDefined();
    expect(second.error?.class).toBe("connect");
    // the later ones went on fresh connections: not retried
    expect(rest.every((r) => r.tRetry === undefined && r.error?.class === "connect")).toBe(true);
    // fresh connections reset: the second's one retry, and one per later request — no third attempt anywhere
    expect(server.resetFresh).toBe(out.records.length - 1);
    expect(out.doc.summary.connections).toEqual({ reconnects: 1, retried_requests: 1, retries_failed: 1 });
    expect(concludeRun(out).exitCode).toBe(3);
  });
});

describe("redirects are never followed", () => {
  for (const status of [302, 307]) {
    test(`${status} to another origin: nothing reaches it, no header or credential carried, POST never turned into GET`, async () => {
      const seen: Array<{ method: string; headers: Record<string, string> }> = [];
      const other = scripted((req) => {
        seen.push({ method: req.method, headers: req.headers.toJSON() });
        return Response.json({ text: "hijacked", cached: false });
      });
      const first = scripted(
        () =>
          new Response(null, {
            status,
            headers: { location: `http://user:pw@127.0.0.1:${other.server.port}/generate?api_key=k` },
          }),
      );
      try {
        const out = await runBenchmark(
          runOptions(
            `${first.url}/generate`,
            { requests: "4", concurrency: "2", warmup: "1", "api-key": "sk-secret" },
            ["--header", "X-Api-Key: hdr-secret"],
          ),
        );
        expect(seen).toEqual([]);
        expect(out.doc.summary.errors.redirect).toBe(4);
        const err = out.records[1].error!;
        expect(err.status).toBe(status);
        // where it pointed, without its credentials
        expect(err.message).toContain(`redirect to http://127.0.0.1:${other.server.port}/generate?api_key=REDACTED`);
        expect(err.message).not.toContain("pw");
        const conclusion = concludeRun(out);
        expect(conclusion.exitCode).toBe(3);
        expect(conclusion.error!.message).toContain(`HTTP ${status} redirect`);
        expect(conclusion.error!.hint).toContain("--endpoint");
      } finally {
        first.stop();
        other.stop();
      }
    });
  }

  test("GET /v1/models (asking for the model) is not followed either: the key stays home", async () => {
    const seen: string[] = [];
    const other = scripted((req) => {
      seen.push(req.headers.get("authorization") ?? "");
      return Response.json({ data: [{ id: "m" }] });
    });
    const first = scripted(
      () =>
        new Response(null, { status: 302, headers: { location: `http://127.0.0.1:${other.server.port}/v1/models` } }),
    );
    try {
      const err = await runBenchmark(
        runOptions(`${first.url}/v1/chat/completions`, { requests: "1", "api-key": "sk-secret" }),
      ).catch((e: Error) => e);
      expect(seen).toEqual([]);
      expect((err as Error).message).toContain("HTTP 302 (a redirect, not followed)");
    } finally {
      first.stop();
      other.stop();
    }
  });
});

describe("error classes say what happened", () => {
  const malformed: Array<[string, string, string]> = [
    [
      "a garbage status line",
      "GARBAGE NOT HTTP\r\n\r\nhello",
      "the response is not valid HTTP (Malformed_HTTP_Response)",
    ],
    [
      "a header line without a colon",
      "HTTP/1.1 200 OK\r\nnot a header\r\nContent-Length: 2\r\n\r\nhi",
      "the response is not valid HTTP (Malformed_HTTP_Response)",
    ],
    [
      "a Content-Length that is not a number",
      "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nhi",
      "the response is not valid HTTP (InvalidContentLength)",
    ],
    [
      "broken chunked framing",
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nhi\r\n0\r\n\r\n",
      "the response body broke off: InvalidHTTPResponse",
    ],
  ];
  for (const [name, payload, message] of malformed) {
    test(`${name} is \`protocol\`, and the message quotes neither Bun's advice nor the URL`, async () => {
      const bad = createServer((sock) => {
        sock.on("error", () => {});
        sock.on("data", () => sock.end(payload));
      });
      await new Promise<void>((resolve) => bad.listen(0, "127.0.0.1", resolve));
      const url = `http://u:secretpw@127.0.0.1:${(bad.address() as { port: number }).port}/generate`;
      try {
        const out = await runBenchmark(runOptions(url, { requests: "3", concurrency: "1", warmup: "0" }));
        expect(out.doc.summary.errors.protocol).toBe(3);
        expect(out.doc.summary.errors.connect).toBe(0);
        for (const r of out.records) expect(r.error!.message).toBe(message);
        const conclusion = concludeRun(out);
        expect(conclusion.exitCode).toBe(3);
        expect(`${conclusion.error!.message} ${conclusion.error!.hint}`).not.toMatch(/verbose|secretpw/);
        if (message.startsWith("the response is not valid HTTP"))
          expect(conclusion.error!.hint).toContain("scheme of --endpoint");
      } finally {
        bad.close();
      }
    });
  }

  test("a client out of file descriptors counts `client` errors and says to raise ulimit -n, not to check the server", async () => {
    const slow = scripted(async () => {
      await Bun.sleep(500);
      return Response.json({ text: "a b c", cached: false });
    });
    try {
      // 60 descriptors: the runtime takes some, 100 concurrent connections cannot all open
      // and the result is still written: its file was opened before the run, when descriptors were free
      const out = join(mkdtempSync(join(tmpdir(), "llmbench-fd-")), "r.json");
      const cmd = `ulimit -n 60 && exec "${process.execPath}" "${import.meta.dir}/../../src/cli.ts" run --endpoint ${slow.url}/generate -n 100 -c 100 --warmup 0 --json --no-records --seed 1 -o ${out}`;
      const proc = Bun.spawn(["sh", "-c", cmd], { stdout: "pipe", stderr: "pipe" });
      const [stdout, stderr] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      const errors = JSON.parse(stdout).summary.errors;
      expect(JSON.parse(readFileSync(out, "utf8")).summary.errors).toEqual(errors);
      expect(readdirSync(dirname(out))).toEqual(["r.json"]); // no temporary file left
      expect(errors.client).toBeGreaterThan(0);
      expect(errors.connect).toBe(0);
      expect(stderr).toContain("ulimit -n");
      expect(stderr).not.toContain("did the server crash");
    } finally {
      slow.stop();
    }
  });

  test("the client's own exhaustion is `client`, with advice about the client", () => {
    const bunError = (code: string, message: string) =>
      Object.assign(new Error('[POST] "http://h/": <no response>'), {
        cause: Object.assign(new TypeError(message), { code }),
      });
    expect(classifyFetchError(bunError("EMFILE", "EMFILE: Was there a typo in the url or port?"))).toEqual({
      class: "client",
      message:
        "the client ran out of file descriptors (EMFILE): it could not open a connection; the server was not asked",
    });
    expect(classifyFetchError(bunError("ENFILE", "ENFILE")).class).toBe("client");
    expect(classifyFetchError(bunError("", "Out of memory")).class).toBe("client");
    expect(
      classifyFetchError(
        bunError(
          "ECONNRESET",
          "ECONNRESET: The socket connection was closed unexpectedly. For more information, pass `verbose: true` in the second argument to fetch()",
        ),
      ),
    ).toEqual({
      class: "connect",
      reason: "reset",
      message: "connection reset before a response",
    });
    expect(
      classifyFetchError(bunError("ECONNREFUSED", "Unable to connect. Is the computer able to access the url?")),
    ).toEqual({ class: "connect", reason: "refused", message: "connection refused" });
    expect(classifyFetchError(bunError("ENOTFOUND", "getaddrinfo ENOTFOUND nowhere.invalid")).reason).toBe("dns");
    // whatever Bun says otherwise: never its advice, never the URL
    const other = classifyFetchError(
      bunError(
        "SomethingNew",
        'SomethingNew fetching "http://u:pw@h/x". For more information, pass `verbose: true` in the second argument to fetch()',
      ),
    );
    expect(other).toEqual({ class: "connect", message: "SomethingNew" });
  });
});
