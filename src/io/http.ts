/**
 * One request, timed: the ofetch instance (never retries), a streaming read of the body, and a
 * timestamp for every chunk that carries output. Failures are classified, never thrown.
 */
import { ofetch } from "ofetch";
import { ProtocolError, type ErrorClass, type FailureReason } from "../core/errors.ts";
import type { RawRecord, RequestError } from "../core/metrics.ts";
import { redactUrl } from "../core/options.ts";
import { formatSize } from "../core/size.ts";
import type { Protocol } from "../core/protocols/types.ts";
import type { TokenizerId } from "../core/tokenizer.ts";
import type { Clock } from "./clock.ts";
import { createBodyDecoder, finishBody } from "../core/body.ts";

/**
 * retry: 0 — a benchmark never retries silently. Errors (4xx/5xx) are read, not thrown.
 * decompress: false — bodies are inflated here (inflated()), at the reader's pace: Bun's own inflater
 * runs ahead of the reader and on past a cancel (measured: 145–250 MB of RSS from one 2 GiB gzip bomb
 * after the reader had stopped at 4 MiB; 39 MB through a DecompressionStream).
 */
export const http = ofetch.create({ retry: 0, ignoreResponseError: true, decompress: false } as Parameters<
  typeof ofetch.create
>[0]);

/** What requests ask for (Bun's own default list): each is inflated by a DecompressionStream. */
export const ACCEPT_ENCODING = "gzip, deflate, br, zstd";
const INFLATERS: Record<string, string> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
  br: "brotli",
  zstd: "zstd",
};

function slices(size: number): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream<Uint8Array, Uint8Array>(
    {
      transform(chunk, controller) {
        for (let i = 0; i < chunk.length; i += size) controller.enqueue(chunk.subarray(i, i + size));
      },
    },
    undefined,
    { highWaterMark: 0 },
  );
}

/** The body with its Content-Encoding undone (codings apply in the order listed), or why it cannot be. */
function inflated(
  stream: ReadableStream<Uint8Array>,
  contentEncoding: string | null,
): ReadableStream<Uint8Array> | string {
  if (contentEncoding === null || contentEncoding === "") return stream; // the usual case, without splitting a string
  const codings = (contentEncoding ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  // compressed input goes in small slices: 4 KiB inflates to at most ~4 MiB (deflate's limit is ~1032:1),
  // where a 64 KiB network chunk of a bomb would inflate to 64 MiB at once
  let out = codings.length === 0 ? stream : stream.pipeThrough(slices(4096));
  for (const coding of codings.reverse()) {
    const format = INFLATERS[coding];
    if (format === undefined)
      return `the body came with Content-Encoding: ${contentEncoding}, which was not asked for (Accept-Encoding: ${ACCEPT_ENCODING})`;
    const inflater = new DecompressionStream(
      format as ConstructorParameters<typeof DecompressionStream>[0],
    ) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>;
    out = out.pipeThrough(inflater);
  }
  return out;
}

export interface Target {
  url: string;
  /** every header to send, Authorization included */
  headers: Record<string, string>;
  protocol: Protocol;
  /** deadline over the whole request, body included */
  timeoutMs: number;
  /** most decoded bytes of one response body (--max-body) */
  maxBodyBytes: number;
  /** most characters of one SSE line/event, NDJSON line or whole JSON body (--max-message) */
  maxMessageBytes: number;
  /** counts the output (the body's own text, for servers that give no usage) */
  tokenizer: TokenizerId;
}

/** One HTTP exchange, a request and its response (not a whole command's outcome): the raw timings and counts of a record (RawRecord). */
export type Exchange = Pick<
  RawRecord,
  | "tSend"
  | "tRetry"
  | "tFirstByte"
  | "tokenTimes"
  | "tEnd"
  | "streamed"
  | "status"
  | "usage"
  | "cached"
  | "error"
  | "outputTokensCounted"
  | "reasoningTokensCounted"
  | "tokensEstimated"
  | "outputUncounted"
>;

/** A response that arrived in less still gets this long to be counted (a count of a few KB takes well under it). */
const MIN_COUNT_MS = 20;

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

const ERROR_BODY_CHARS = 500;

export interface SendOptions {
  /** multi-turn sessions only: the answer's text comes back as `answer`, for the next turn's history (the decoder holds it already) */
  keepAnswer?: boolean;
  /**
   * Asked of an answer whose output length the server reported (usage): count its text too? (The
   * comparison, tokens.usage_vs_client, needs a sample; absent: always.)
   */
  countDespiteUsage?: () => boolean;
}

/** Send one request. `stop` aborts it as `aborted` (Ctrl-C); the deadline aborts it as `timeout`. */
export async function sendRequest(
  target: Target,
  body: string,
  stop: AbortSignal,
  clock: Clock,
  how: SendOptions = {},
): Promise<Exchange & { answer?: string }> {
  // one signal for fetch, aborted by the deadline or by `stop`: AbortSignal.any costs 3.5–5 µs a request,
  // and fetch more with a composite signal (scripts/bench-wire.ts: main-thread CPU per request)
  const abort = new AbortController();
  const signal = abort.signal;
  let timedOut = false;
  let stopped = false;
  const timeOut = () => {
    timedOut = true;
    abort.abort();
  };
  const onStop = () => {
    stopped = true;
    abort.abort();
  };
  const timer = setTimeout(timeOut, target.timeoutMs);
  const unwatch = whenStopped(stop, onStop);
  const out: Exchange & { answer?: string } = {
    tSend: 0,
    tFirstByte: null,
    tokenTimes: [],
    tEnd: null,
    streamed: false,
    status: null,
    outputTokensCounted: 0,
    reasoningTokensCounted: 0,
    usage: null,
    cached: null,
    error: null,
  };
  const fail = (cls: ErrorClass, message: string, extra: Partial<RequestError> = {}, at = clock()) => {
    out.error = { class: cls, message, ...extra };
    out.tEnd = at;
    return out;
  };
  const abortClass = (): ErrorClass | null => (timedOut ? "timeout" : stopped ? "aborted" : null);
  const timeoutMessage = () => `no complete response within ${target.timeoutMs / 1000} s`;

  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    out.tSend = clock();
    let res: Response;
    for (;;) {
      try {
        // redirects are never followed (README: Redirects); the retry goes on a fresh connection
        // Bun's fetch itself, not ofetch: its option merging, response-type sniffing and error wrapping
        // cost ~10% of the client's CPU per request in a profile at 256 streams, and this path uses none of them
        res = await fetch(target.url, {
          method: "POST",
          body,
          headers: target.headers,
          signal,
          redirect: "manual",
          keepalive: out.tRetry === undefined,
          decompress: false,
        } as RequestInit);
        break;
      } catch (err) {
        const cls = abortClass();
        if (cls) return fail(cls, cls === "timeout" ? timeoutMessage() : "stopped before the response arrived");
        const failure = classifyFetchError(err);
        // once, and only while finished responses have left connections in the pool that may have been reused
        if (failure.reason === "reset" && out.tRetry === undefined && takeIdleConnection(target.url)) {
          out.tRetry = clock();
          continue;
        }
        return fail(failure.class, failure.message, failure.reason ? { reason: failure.reason } : {});
      }
    }
    out.status = res.status;
    const wire = res.body ?? undefined;
    const stream = wire && inflated(wire, res.headers.get("content-encoding"));
    if (typeof stream === "string") {
      wire?.cancel().catch(() => {});
      return fail("protocol", stream, { status: res.status });
    }
    reader = stream?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
    const utf8 = new TextDecoder();
    const contentType = res.headers.get("content-type") ?? "";

    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      const to = location === null ? "no Location" : redirectTarget(location, target.url);
      return fail("redirect", `HTTP ${res.status} redirect to ${to}: llmbench does not follow redirects`, {
        status: res.status,
      });
    }

    if (res.status >= 400) {
      let text = "";
      while (reader && text.length < ERROR_BODY_CHARS) {
        const { done, value } = await reader.read();
        if (done) break;
        text += utf8.decode(value, { stream: true });
      }
      const cls: ErrorClass = res.status >= 500 ? "http_5xx" : "http_4xx";
      return fail(cls, `HTTP ${res.status} ${res.statusText}`.trim(), {
        status: res.status,
        body: text.slice(0, ERROR_BODY_CHARS),
      });
    }

    // each chunk is decoded as it arrives (core/body.ts); its output is counted once the body ends
    const decoder = createBodyDecoder(target.protocol, contentType, target.maxMessageBytes);
    let raw = "";
    /** bytes after inflation (inflated() undoes any Content-Encoding): the cap holds against a compression bomb */
    let bodyBytes = 0;
    let failed: { cls: ErrorClass; message: string; reason?: FailureReason; at: number } | undefined;
    try {
      while (reader) {
        const { done, value } = await reader.read();
        const t = clock();
        if (done) break;
        // the deadline, checked on every chunk too: while chunks are already buffered, read() resolves
        // as a microtask and the loop never yields to the timer (measured: --timeout 2 ended at 2.3–2.6 s
        // with 20 streams of 20 KB chunks every 5 ms)
        if (t - out.tSend >= target.timeoutMs) {
          timeOut();
          throw new Error("deadline");
        }
        if (out.tFirstByte === null) out.tFirstByte = t;
        bodyBytes += value.byteLength;
        if (bodyBytes > target.maxBodyBytes) {
          throw new ProtocolError(
            `the response body passed ${formatSize(target.maxBodyBytes)} (--max-body) before it ended: no real answer is this long; the connection was dropped`,
            "max_body",
          );
        }
        const piece = utf8.decode(value, { stream: true });
        if (raw.length < ERROR_BODY_CHARS) raw += piece;
        decoder.push(piece, t);
      }
      const t = clock();
      const rest = utf8.decode();
      if (rest !== "") decoder.push(rest, t);
      decoder.end(t);
      out.tEnd = t;
      // the body was read to its end on a keep-alive connection: Bun puts the connection back in its pool
      if (out.tRetry === undefined && !/close/i.test(res.headers.get("connection") ?? ""))
        releaseIdleConnection(target.url);
    } catch (err) {
      const at = clock();
      reader?.cancel().catch(() => {});
      const cls = abortClass();
      if (cls)
        failed = {
          cls,
          message: cls === "timeout" ? timeoutMessage() : "stopped while the response was streaming",
          at,
        };
      else if (err instanceof ProtocolError) failed = { cls: "protocol", message: err.message, reason: err.reason, at };
      else failed = { cls: "protocol", message: `the response body broke off: ${plainMessage(err)}`, at };
    }
    // what arrived is decoded and counted, also when the body broke off
    const tEnd = out.tEnd ?? clock();
    const budgetMs = Math.max(
      0,
      Math.min(out.tSend + target.timeoutMs, tEnd + Math.max(tEnd - out.tSend, MIN_COUNT_MS)) - tEnd,
    );
    // the server gave the output length: the text is counted only for the sample compared with it
    const uncounted =
      failed === undefined &&
      decoder.usage?.completionTokens !== undefined &&
      how.countDespiteUsage !== undefined &&
      !how.countDespiteUsage();
    const finished = finishBody(
      decoder,
      target.tokenizer,
      { now: clock, yieldNow, until: tEnd + budgetMs },
      !uncounted,
    );
    const d = finished instanceof Promise ? await finished : finished;
    out.tokenTimes = d.tokenTimes;
    out.streamed = d.streamed;
    out.usage = d.usage;
    out.cached = d.cached;
    out.outputTokensCounted = d.outputTokensCounted;
    out.reasoningTokensCounted = d.reasoningTokensCounted;
    if (d.tokensEstimated) out.tokensEstimated = true;
    if (uncounted) out.outputUncounted = true;
    if (how.keepAnswer) out.answer = decoder.text;
    if (failed !== undefined) {
      const detail =
        failed.cls === "protocol"
          ? {
              status: res.status,
              body: raw.slice(0, ERROR_BODY_CHARS),
              ...(failed.reason ? { reason: failed.reason } : {}),
            }
          : {};
      return fail(failed.cls, failed.message, detail, failed.at);
    }
    return out;
  } catch (err) {
    const cls = abortClass();
    if (cls) return fail(cls, cls === "timeout" ? timeoutMessage() : "stopped");
    return fail("protocol", (err as Error).name === "FetchError" ? "the request failed" : (err as Error).message);
  } finally {
    clearTimeout(timer);
    unwatch();
    if (out.error) reader?.cancel().catch(() => {});
  }
}

/**
 * Requests in flight, by the `stop` signal they were given: one listener on each signal stops them all.
 * A listener added and removed per request cost 5% of the client's CPU per request (a profile against a
 * static server); a Set costs a fraction of that.
 */
const inFlight = new WeakMap<AbortSignal, Set<() => void>>();

/** Call `fn` when `stop` aborts (now, if it has); the returned function stops watching. */
function whenStopped(stop: AbortSignal, fn: () => void): () => void {
  if (stop.aborted) {
    fn();
    return () => {};
  }
  let fns = inFlight.get(stop);
  if (fns === undefined) {
    const all = new Set<() => void>();
    stop.addEventListener(
      "abort",
      () => {
        for (const f of [...all]) f();
      },
      { once: true },
    );
    inFlight.set(stop, all);
    fns = all;
  }
  const set = fns;
  set.add(fn);
  return () => set.delete(fn);
}

/**
 * Bun's fetch pools keep-alive connections (at most 64 idle per process: `pool_size` in its HTTP
 * client), does not say whether a request went on a reused one, and does not retry a POST whose
 * reused connection died. So a request that died on a reset before any response byte is taken as
 * one that went on a reused connection while this count allows: +1 for every response read to its
 * end on a keep-alive connection (it went back to the pool), −1 for every retry, at most 64 — no
 * more connections than that can be waiting in the pool, dead or alive. Bun puts a connection back
 * as soon as its last byte arrives, a moment before this process has read it, so the count is not
 * taken at send time (it would lag behind the pool). A server that resets every connection never
 * finishes a response: its failures are never retried.
 */
const BUN_POOL_SIZE = 64;
const idleConnections = new Map<string, number>();

function takeIdleConnection(url: string): boolean {
  const n = idleConnections.get(url) ?? 0;
  if (n === 0) return false;
  idleConnections.set(url, n - 1);
  return true;
}

function releaseIdleConnection(url: string): void {
  idleConnections.set(url, Math.min(BUN_POOL_SIZE, (idleConnections.get(url) ?? 0) + 1));
}

/** Forget what is known of the pool (tests start from a fresh state). */
export function resetConnectionState(): void {
  idleConnections.clear();
}

export interface FetchFailure {
  class: ErrorClass;
  /** refused, dns, not_http; reset: the connection was closed before any response byte (worth one retry when it was a reused one) */
  reason?: FailureReason;
  message: string;
}

/** Bun's codes for a response that is not HTTP (garbage status line, bad headers, bad framing) */
const MALFORMED =
  /^(Malformed_HTTP_Response|InvalidHTTPResponse|InvalidContentLength|InvalidChunk|InvalidTransferEncoding|ResponseHeadersTooLarge|HTTPHeadersTooLarge|UnexpectedEOF)/;

/** What a fetch that failed before a response means, in words that never quote Bun's own advice or the URL. */
export function classifyFetchError(err: unknown): FetchFailure {
  const cause =
    (err as { cause?: { code?: unknown; message?: unknown } }).cause ?? (err as { code?: unknown; message?: unknown });
  const code = typeof cause?.code === "string" ? cause.code : "";
  const text = typeof cause?.message === "string" ? cause.message : "";
  const failure = (cls: ErrorClass, message: string, reason?: FailureReason): FetchFailure =>
    reason ? { class: cls, reason, message } : { class: cls, message };
  if (code === "ECONNREFUSED" || /ECONNREFUSED|Unable to connect/i.test(text))
    return failure("connect", "connection refused", "refused");
  if (code === "ENOTFOUND" || /ENOTFOUND|getaddrinfo/i.test(text))
    return failure("connect", `host not found (DNS): ${plainMessage(err) || code}`, "dns");
  if (code === "ECONNRESET" || code === "EPIPE" || code === "ConnectionClosed")
    return failure("connect", "connection reset before a response", "reset");
  if (code === "EMFILE" || code === "ENFILE") {
    return failure(
      "client",
      `the client ran out of file descriptors (${code}): it could not open a connection; the server was not asked`,
    );
  }
  if (code === "ENOMEM" || code === "ENOBUFS" || /out of memory/i.test(text))
    return failure("client", `the client ran out of memory (${code || "out of memory"})`);
  if (MALFORMED.test(code)) return failure("protocol", `the response is not valid HTTP (${code})`, "not_http");
  return failure("connect", plainMessage(err) || "the request failed before a response");
}

/**
 * Bun's error, in words fit for a report: never its message as it is — it quotes the URL (which may
 * carry credentials) and advice for debugging fetch itself ("pass `verbose: true`").
 */
export function plainMessage(err: unknown): string {
  const cause =
    (err as { cause?: { code?: unknown; message?: unknown } }).cause ?? (err as { code?: unknown; message?: unknown });
  const code = typeof cause?.code === "string" ? cause.code : "";
  const text = typeof cause?.message === "string" ? cause.message : "";
  const plain = text
    .replace(/\.?\s*For more information, pass `verbose: true`.*$/s, "")
    .replace(/\s*fetching "[^"]*"/g, "")
    .replace(/https?:\/\/\S+/g, "the endpoint");
  return code && !plain.startsWith(code) ? (plain ? `${code}: ${plain}` : code) : plain;
}

/** Where a redirect points, for the error message: resolved against the endpoint, credentials removed. */
function redirectTarget(location: string, base: string): string {
  try {
    return redactUrl(new URL(location, base));
  } catch {
    return "an unreadable Location";
  }
}
