/** `llmbench warm`: wait for a server to answer, then warm it until its latency is steady. */
import { defineCommand } from "citty";
import { warmServer } from "../app/warm.ts";
import { EXIT } from "../core/errors.ts";
import { checkFlags } from "../core/options.ts";
import { parseWarmOptions, STEADY_DEFAULTS, WARM_DEFAULTS } from "../core/steady.ts";
import { writeFileAtomic } from "../io/files.ts";
import { reexecForHttpCap } from "../io/http-cap.ts";
import { logger } from "../io/logger.ts";
import { renderWarmProgress, renderWarmReport } from "../render/warm.ts";
import { outputArgs, targetArgs } from "./_shared.ts";

const args = {
  ...targetArgs,
  wait: { type: "string", description: `how long to wait for the first successful answer: 120s, 500ms, 5m (default ${WARM_DEFAULTS.wait})` },
  concurrency: { type: "string", alias: "c", description: `most requests in flight at once (default ${WARM_DEFAULTS.concurrency})` },
  requests: { type: "string", alias: "n", description: "send exactly N requests (the first success included) instead of stopping once steady" },
  "max-requests": { type: "string", description: `stop at this many requests if latency is not steady by then (default ${WARM_DEFAULTS.maxRequests})` },
  window: { type: "string", description: `steady state is judged on the last N latencies (default ${STEADY_DEFAULTS.window})` },
  "max-cv": { type: "string", description: `steady: their coefficient of variation is at most this (default ${STEADY_DEFAULTS.maxCv})` },
  "max-drop": { type: "string", description: `steady: their least-squares trend falls by at most this share of their mean (default ${STEADY_DEFAULTS.maxDrop})` },
  ...outputArgs,
} as const;

export const warm = defineCommand({
  meta: { name: "warm", description: "Wait until a server answers, then warm it until its latency is steady" },
  args,
  async run({ args: parsed, rawArgs }) {
    checkFlags(rawArgs, args, "warm");
    const opts = parseWarmOptions(parsed, rawArgs, process.env, () => Math.floor(Math.random() * 2 ** 31));
    // past Bun's 256 requests in flight per process, run again with the cap raised (as run does)
    const childCode = await reexecForHttpCap(opts.concurrency);
    if (childCode !== undefined) {
      process.exitCode = childCode;
      return;
    }
    const info = opts.quiet ? () => {} : (m: string) => logger.info(m);

    const interrupt = new AbortController();
    const onSigint = () => {
      if (interrupt.signal.aborted) process.exit(EXIT.interrupted); // a second Ctrl-C: leave now
      interrupt.abort();
    };
    process.on("SIGINT", onSigint);
    const live = !opts.quiet && process.stderr.isTTY === true;
    const outcome = await warmServer(opts, {
      interrupt: interrupt.signal,
      info,
      onProgress: live ? (p) => process.stderr.write(`\r\x1b[2K${renderWarmProgress(p)}`) : undefined,
    }).finally(() => {
      process.off("SIGINT", onSigint);
      if (live) process.stderr.write("\r\x1b[2K");
    });

    const { doc } = outcome;
    if (opts.output) {
      await writeFileAtomic(opts.output, `${JSON.stringify(doc, null, 2)}\n`);
      info(`warm result written to ${opts.output}`);
    }
    // not ready: the error on stderr says it all; stdout stays empty unless --json asked for the document
    if (opts.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    else if (doc.ready) process.stdout.write(renderWarmReport(doc));
    if (outcome.error) throw outcome.error;
    if (outcome.interrupted) process.exitCode = EXIT.interrupted;
    else if (doc.config.max_requests !== null && !doc.steady) {
      logger.warn(`latency was not steady after ${doc.requests.sent} requests: a run now measures a server still warming up (raise --max-requests, or loosen --max-cv / --max-drop)`);
    }
  },
});
