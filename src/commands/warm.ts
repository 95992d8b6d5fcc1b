/** `llmbench warm`: wait for a server to answer, then warm it until its latency is steady. */
import { defineCommand } from "citty";
import { warmServer } from "../app/warm.ts";
import { checkFlags } from "../core/options.ts";
import { parseWarmOptions, STEADY_DEFAULTS, WARM_DEFAULTS } from "../core/steady.ts";
import { logger } from "../io/logger.ts";
import { renderWarmProgress, renderWarmReport } from "../render/warm.ts";
import { startCommand } from "../app/command.ts";
import { emit } from "../app/emit.ts";
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
    const ctx = await startCommand(opts, opts.concurrency);
    if (!ctx) return;
    const outcome = await warmServer(opts, {
      interrupt: ctx.interrupt,
      info: ctx.info,
      onProgress: ctx.live ? (p) => ctx.draw(renderWarmProgress(p), true) : undefined,
    }).finally(ctx.close);
    const { doc } = outcome;
    // not ready: the error on stderr says it all; stdout stays empty unless --json asked for the document
    await emit(doc, opts, doc.ready ? renderWarmReport(doc) : null, ctx.info);
    if (outcome.error) throw outcome.error;
    if (outcome.interrupted || ctx.interruptedBy()) {
      if (outcome.interrupted) logger.warn(`interrupted by ${ctx.interruptedBy() ?? "SIGINT"}: the document covers what finished (marked "complete": false)`);
      process.exitCode = ctx.interruptCode();
      return;
    }
    if (doc.requests.failed > 0) {
      const classes = Object.entries(doc.errors).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
      logger.warn(`${doc.requests.failed} of ${doc.requests.sent} warm-up requests failed (${classes.join(", ")}): a run now will see errors too`);
    }
    if (doc.config.max_requests !== null && !doc.steady) {
      logger.warn(`latency was not steady after ${doc.requests.sent} requests: a run now measures a server still warming up (raise --max-requests, or loosen --max-cv / --max-drop)`);
    }
  },
});
