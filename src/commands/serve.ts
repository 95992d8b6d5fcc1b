/** `llmbench serve`: run the reference inference-server simulator until SIGINT/SIGTERM. */
import { defineCommand } from "citty";
import { UsageError } from "../core/errors.ts";
import { checkFlags } from "../core/options.ts";
import { SERVER_DEFAULTS, serverOptionsFromStrings, startServer, type RunningServer, type ServerOptions } from "../server/index.ts";

const d = SERVER_DEFAULTS;
/** `llmbench run`'s default endpoint is http://localhost:8000/generate: serve there unless told otherwise. */
const DEFAULT_PORT = "8000";

/** Flag → option. Every value arrives from citty as a string. */
const FLAGS = {
  port: "port",
  host: "host",
  "prefill-ms-per-token": "prefillMsPerToken",
  "decode-step-ms": "decodeStepMs",
  "max-batch-size": "maxBatchSize",
  "batch-window-ms": "batchWindowMs",
  "batch-exponent": "batchExponent",
  "cache-size": "cacheSize",
  "cache-hit-ms": "cacheHitMs",
  model: "model",
  "cold-start": "coldStartRequests",
  "cold-start-ms": "coldStartMs",
} as const satisfies Record<string, keyof ServerOptions>;

function startError(e: unknown, o: ServerOptions): never {
  const code = (e as { code?: string } | null)?.code;
  if (code === "EADDRINUSE") throw new UsageError(`port ${o.port} on ${o.host} is in use`, "pick another with --port, or --port 0 for a free one");
  if (code === "EACCES") throw new UsageError(`no permission to listen on port ${o.port}`, "use a port above 1023, or --port 0");
  // a host that is not an address of this machine, or does not resolve: Bun reports EADDRNOTAVAIL, EINVAL, ENOTTY…
  throw new UsageError(`cannot listen on ${o.host}:${o.port} (${code ?? (e as Error).message})`, "use an address of this machine, e.g. --host 127.0.0.1, and a free --port");
}

export const serve = defineCommand({
  meta: {
    name: "serve",
    description: "Run the built-in inference-server simulator (generate and OpenAI APIs, continuous batching, response cache)",
  },
  args: {
    port: { type: "string", description: `TCP port; 0 picks a free one (default ${DEFAULT_PORT}, where 'llmbench run' looks by default)`, valueHint: "n" },
    host: { type: "string", description: `interface to listen on (default ${d.host})`, valueHint: "addr" },
    "prefill-ms-per-token": { type: "string", description: `prefill time per prompt token, ms (default ${d.prefillMsPerToken})`, valueHint: "ms" },
    "decode-step-ms": { type: "string", description: `one decode step at batch size 1, ms (default ${d.decodeStepMs})`, valueHint: "ms" },
    "max-batch-size": { type: "string", description: `most requests decoding at once (default ${d.maxBatchSize})`, valueHint: "n" },
    "batch-window-ms": { type: "string", description: `when idle, wait this long to gather a batch (default ${d.batchWindowMs})`, valueHint: "ms" },
    "batch-exponent": { type: "string", description: `step time = decode-step-ms × batch^exponent (default ${d.batchExponent})`, valueHint: "x" },
    "cache-size": { type: "string", description: `LRU response-cache entries, 0 = off (default ${d.cacheSize})`, valueHint: "n" },
    "cache-hit-ms": { type: "string", description: `latency of a cache hit, ms (default ${d.cacheHitMs})`, valueHint: "ms" },
    model: { type: "string", description: `model name reported by the server (default ${d.model})`, valueHint: "name" },
    "cold-start": { type: "string", description: `slow down the first N generation requests, decaying linearly to none (default ${d.coldStartRequests}: off)`, valueHint: "n" },
    "cold-start-ms": { type: "string", description: `extra latency of the first request with --cold-start, ms (default ${d.coldStartMs})`, valueHint: "ms" },
  },
  async run({ args, rawArgs }) {
    checkFlags(rawArgs, serve.args as Record<string, { type?: string }>, "serve");
    const raw: Partial<Record<keyof ServerOptions, string | boolean | undefined>> = {};
    for (const [flag, key] of Object.entries(FLAGS)) raw[key] = args[flag] as string | boolean | undefined;
    raw.port ??= DEFAULT_PORT;
    const options = serverOptionsFromStrings(raw);

    let server: RunningServer;
    try {
      server = await startServer(options);
    } catch (e) {
      startError(e, options);
    }
    // the one line on stdout: the demo and the tests read the port from it
    process.stdout.write(`listening on ${server.url}\n`);
    const o = server.options;
    process.stderr.write(
      `llmbench serve: model ${o.model}; step ${o.decodeStepMs} ms × batch^${o.batchExponent} + ${o.prefillMsPerToken} ms per joining prompt token; ` +
        `max batch ${o.maxBatchSize}, batch window ${o.batchWindowMs} ms; cache ${o.cacheSize === 0 ? "off" : `${o.cacheSize} entries, hit ${o.cacheHitMs} ms`}` +
        `${o.coldStartRequests > 0 ? `; cold start: first request +${o.coldStartMs} ms, falling linearly to 0 at request ${o.coldStartRequests}` : ""}\n` +
        `endpoints: POST /generate, /v1/completions, /v1/chat/completions; GET /v1/models, /health, /stats. Ctrl-C stops.\n`,
    );

    await new Promise<void>((resolve, reject) => {
      const onSignal = (signal: NodeJS.Signals) => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        process.stderr.write(`llmbench serve: ${signal}, stopping (served ${server.stats().requests} requests)\n`);
        server.stop().then(resolve, reject);
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    });
    process.exitCode = 0;
  },
});
