/**
 * The reference inference server behind `llmbench serve`, the tests and the demo.
 *
 * It speaks the generate API and OpenAI's completions and chat completions, streams
 * one token per event, batches concurrent requests continuously (batcher.ts) and
 * answers repeats from an LRU cache. With --prefix-cache it also keeps blocks of prompt
 * tokens (prefix-cache.ts), charges prefill only for the uncached suffix and reports the hit as
 * `usage.prompt_tokens_details.cached_tokens` (the generate API: `cached_tokens`). Timings follow the options, so a client's
 * measured TTFT and TPOT can be checked against them; `cached` is only ever true
 * for an answer that really came from the cache.
 */
import type { ApiKind } from "../core/protocols/types.ts";
import { Batcher, coldStartExtraMs } from "./batcher.ts";
import { LruCache } from "./cache.ts";
import { PrefixCache, promptWords } from "./prefix-cache.ts";
import { answerSeed, countPromptTokens, tokenText } from "./model.ts";
import { resolveServerOptions, type ServerOptions } from "../core/options/serve.ts";
import { BadRequestError, encoderFor, parseGenerationRequest, type GenerationRequest } from "./protocols.ts";

export {
  SERVER_DEFAULTS,
  resolveServerOptions,
  serverOptionsFromStrings,
  type ServerOptions,
} from "../core/options/serve.ts";
export { coldStartExtraMs, stepMs } from "./batcher.ts";

/** Counters since start; also served as JSON at `GET /stats`. */
export interface ServerStats {
  /** generation requests accepted (cache hits + misses) */
  requests: number;
  cache_hits: number;
  cache_misses: number;
  /** generation requests being answered now */
  in_flight: number;
  max_in_flight: number;
  max_batch_size_seen: number;
  decode_steps: number;
  /** tokens produced by decode steps (cache hits generate none) */
  tokens_generated: number;
  /** prompt tokens prefilled by the engine (response-cache hits and prefix-cache hits are not) */
  prefill_tokens: number;
  /** --prefix-cache: prompt tokens looked up in the prefix cache, and of those found cached (0 when off) */
  prefix_queried_tokens: number;
  prefix_hit_tokens: number;
  /** --prefix-cache: blocks held now, and blocks evicted so far */
  prefix_cache_blocks: number;
  prefix_evicted_blocks: number;
}

export interface RunningServer {
  /** "http://127.0.0.1:PORT" */
  url: string;
  port: number;
  options: ServerOptions;
  stats(): ServerStats;
  stop(): Promise<void>;
}

/** Where the tokens of one answer go: a stream, or a buffer for a whole body. */
interface Sink {
  token(text: string): void;
  /** `cachedTokens`: prompt tokens not computed (the whole prompt for a response-cache hit, the prefix-cache hit otherwise) */
  end(cached: boolean, cachedTokens: number): void;
  /** the server stopped before the answer was complete */
  stopped(): void;
}

const ROUTES: Record<string, { method: string; api?: ApiKind }> = {
  "/health": { method: "GET" },
  "/stats": { method: "GET" },
  "/v1/models": { method: "GET" },
  "/generate": { method: "POST", api: "generate" },
  "/v1/completions": { method: "POST", api: "openai-completions" },
  "/v1/chat/completions": { method: "POST", api: "openai-chat" },
};

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

function errorResponse(status: number, message: string, type: string, headers: Record<string, string> = {}): Response {
  return json({ error: { message, type } }, status, headers);
}

function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export async function startServer(opts: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const o = resolveServerOptions(opts);
  const counters: ServerStats = {
    requests: 0,
    cache_hits: 0,
    cache_misses: 0,
    in_flight: 0,
    max_in_flight: 0,
    max_batch_size_seen: 0,
    decode_steps: 0,
    tokens_generated: 0,
    prefill_tokens: 0,
    prefix_queried_tokens: 0,
    prefix_hit_tokens: 0,
    prefix_cache_blocks: 0,
    prefix_evicted_blocks: 0,
  };
  const batcher = new Batcher(o, counters);
  /** key: max_tokens and prompt text, whatever the API; value: the answer's tokens */
  const cache = new LruCache<string, readonly string[]>(o.cacheSize);
  const prefixCache = o.prefixCache ? new PrefixCache(o.prefixBlockTokens, o.prefixCacheBlocks) : null;
  const stats = (): ServerStats => {
    if (prefixCache) {
      counters.prefix_queried_tokens = prefixCache.counters.queried_tokens;
      counters.prefix_hit_tokens = prefixCache.counters.hit_tokens;
      counters.prefix_cache_blocks = prefixCache.size;
      counters.prefix_evicted_blocks = prefixCache.counters.evicted_blocks;
    }
    return { ...counters };
  };
  /** pending cache-hit answers, so stop() can end them */
  const hitTimers = new Map<ReturnType<typeof setTimeout>, () => void>();
  let seq = 0;
  /** generation requests accepted so far, for the cold-start delay */
  let arrivals = 0;
  let stopping = false;

  /** Produces the answer's tokens into `sink`, from the cache or the batcher. */
  function generate(req: GenerationRequest, promptTokens: number, signal: AbortSignal, sink: Sink): void {
    counters.requests++;
    counters.in_flight++;
    if (counters.in_flight > counters.max_in_flight) counters.max_in_flight = counters.in_flight;
    let finished = false;
    let cancel = () => {};
    const onAbort = () => {
      cancel();
      finish();
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      counters.in_flight--;
      signal.removeEventListener("abort", onAbort);
    };

    const key = `${req.maxTokens}\u0000${req.prompt}`;
    const hit = cache.get(key);
    if (hit) {
      counters.cache_hits++;
      const timer = setTimeout(() => {
        hitTimers.delete(timer);
        if (finished) return;
        finish();
        try {
          for (const t of hit) sink.token(t);
          sink.end(true, promptTokens);
        } catch {
          // the client went away
        }
      }, o.cacheHitMs);
      hitTimers.set(timer, () => {
        finish();
        sink.stopped();
      });
      cancel = () => {
        clearTimeout(timer);
        hitTimers.delete(timer);
      };
    } else {
      counters.cache_misses++;
      const seed = answerSeed(req.prompt);
      const tokens: string[] = [];
      // looked up (and stored) on arrival, in arrival order; prefill is charged for the rest only
      const prefixHit = prefixCache ? prefixCache.admit(promptWords(req.prompt)).cachedTokens : 0;
      const prefill = promptTokens - prefixHit;
      counters.prefill_tokens += prefill;
      cancel = batcher.submit({
        promptTokens: prefill,
        maxTokens: req.maxTokens,
        onToken(index) {
          const t = tokenText(seed, index);
          tokens.push(t);
          sink.token(t);
        },
        onDone() {
          // populated only now: a request that arrived while this one was generating was a miss
          cache.set(key, tokens);
          // the prompt's and the answer's blocks: the next turn of a conversation carries both
          prefixCache?.store([...promptWords(req.prompt), ...tokens.flatMap(promptWords)]);
          finish();
          sink.end(false, prefixHit);
        },
        onStopped() {
          finish();
          sink.stopped();
        },
      });
    }
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort);
  }

  async function handleGeneration(request: Request, api: ApiKind): Promise<Response> {
    let body: unknown;
    let req: GenerationRequest;
    try {
      const text = await request.text();
      try {
        body = JSON.parse(text);
      } catch {
        throw new BadRequestError("the body is not valid JSON");
      }
      req = parseGenerationRequest(api, body);
    } catch (e) {
      if (e instanceof BadRequestError) return errorResponse(400, e.message, "invalid_request_error");
      throw e;
    }
    if (stopping) return errorResponse(503, "the server is stopping", "server_error");
    const coldMs = coldStartExtraMs(o, arrivals++);
    if (coldMs > 0) {
      await Bun.sleep(coldMs);
      if (stopping) return errorResponse(503, "the server is stopping", "server_error");
    }

    const promptTokens = countPromptTokens(req.prompt);
    const id = `${api === "openai-chat" ? "chatcmpl" : "cmpl"}-sim${++seq}`;
    const encoder = encoderFor(req, {
      id,
      created: Math.floor(Date.now() / 1000),
      model: o.model,
      promptTokens,
      generateCachedTokens: prefixCache !== null,
    });

    if (!req.stream) {
      return new Promise<Response>((resolve) => {
        let text = "";
        let n = 0;
        generate(req, promptTokens, request.signal, {
          token(t) {
            text += t;
            n++;
          },
          end(cached, cachedTokens) {
            resolve(json(encoder.whole(text, cached, n, cachedTokens)));
          },
          stopped() {
            resolve(errorResponse(503, "the server stopped", "server_error"));
          },
        });
      });
    }

    const bytes = new TextEncoder();
    let n = 0;
    let closed = false;
    let abortGeneration = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const push = (s: string) => {
          if (s !== "" && !closed) controller.enqueue(bytes.encode(s));
        };
        push(encoder.streamStart());
        // a cancelled stream (the client went away) takes the request out of the batch
        const aborter = new AbortController();
        abortGeneration = () => aborter.abort();
        request.signal.addEventListener("abort", abortGeneration);
        generate(req, promptTokens, aborter.signal, {
          token(t) {
            n++;
            push(encoder.streamToken(t));
          },
          end(cached, cachedTokens) {
            push(encoder.streamEnd(cached, n, cachedTokens));
            if (!closed) {
              closed = true;
              controller.close();
            }
          },
          stopped() {
            if (!closed) {
              closed = true;
              controller.error(new Error("the server stopped"));
            }
          },
        });
      },
      cancel() {
        closed = true;
        abortGeneration();
      },
    });
    return new Response(stream, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  }

  const server = Bun.serve({
    hostname: o.host,
    port: o.port,
    // a non-streaming answer may take long without a byte on the wire
    idleTimeout: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const route = ROUTES[path];
      if (!route) return errorResponse(404, `no route for ${request.method} ${path}`, "not_found");
      if (request.method !== route.method) {
        return errorResponse(405, `${path} takes ${route.method}`, "method_not_allowed", { allow: route.method });
      }
      if (route.api) return handleGeneration(request, route.api);
      if (path === "/health") return json({ status: "ok" });
      if (path === "/stats") return json(stats());
      return json({ object: "list", data: [{ id: o.model, object: "model", owned_by: "llmbench" }] });
    },
    error(err) {
      return errorResponse(500, err instanceof Error ? err.message : String(err), "server_error");
    },
  });

  const port = server.port ?? o.port;
  return {
    url: `http://${urlHost(o.host)}:${port}`,
    port,
    options: o,
    stats,
    async stop() {
      if (stopping) return;
      stopping = true;
      batcher.stop();
      for (const [timer, end] of hitTimers) {
        clearTimeout(timer);
        end();
      }
      hitTimers.clear();
      await server.stop(true);
    },
  };
}
