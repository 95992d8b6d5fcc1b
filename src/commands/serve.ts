/** `llmbench serve`: run the reference inference-server simulator until SIGINT/SIGTERM. */
import { defineCommand } from "citty";
import { UsageError } from "../core/errors.ts";
import { cittyArgs } from "./args.ts";
import { parseServeOptions, SERVE_FLAGS } from "../core/options/serve.ts";
import { startServer, type RunningServer, type ServerOptions } from "../server/index.ts";

function startError(e: unknown, o: ServerOptions): never {
  const code = (e as { code?: string } | null)?.code;
  if (code === "EADDRINUSE")
    throw new UsageError(
      `port ${o.port} on ${o.host} is in use`,
      "pick another with --port, or --port 0 for a free one",
    );
  if (code === "EACCES")
    throw new UsageError(`no permission to listen on port ${o.port}`, "use a port above 1023, or --port 0");
  // a host that is not an address of this machine, or does not resolve: Bun reports EADDRNOTAVAIL, EINVAL, ENOTTY…
  throw new UsageError(
    `cannot listen on ${o.host}:${o.port} (${code ?? (e as Error).message})`,
    "use an address of this machine, e.g. --host 127.0.0.1, and a free --port",
  );
}

export const serve = defineCommand({
  meta: {
    name: "serve",
    description:
      "Run the built-in inference-server simulator (generate and OpenAI APIs, continuous batching, response cache)",
  },
  args: cittyArgs(SERVE_FLAGS),
  async run({ rawArgs }) {
    const options = parseServeOptions(rawArgs);

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
        `${o.coldStartRequests > 0 ? `; cold start: first request +${o.coldStartMs} ms, falling linearly to 0 at request ${o.coldStartRequests}` : ""}` +
        `${o.prefixCache ? `; prefix cache: ${o.prefixCacheBlocks} blocks of ${o.prefixBlockTokens} tokens (whitespace words), prefill charged for the uncached suffix` : ""}\n` +
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
