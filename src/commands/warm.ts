/** `llmbench warm`: wait for a server to answer, then warm it until its latency is steady. */
import { defineCommand } from "citty";
import { warmServer } from "../app/warm.ts";
import { cittyArgs } from "./args.ts";
import { startCommand } from "../app/command.ts";
import { emit } from "../app/emit.ts";
import { parseWarmOptions, WARM_FLAGS } from "../core/options/warm.ts";
import { logger } from "../io/logger.ts";
import { renderWarmProgress, renderWarmReport } from "../render/warm.ts";

export const warm = defineCommand({
  meta: { name: "warm", description: "Wait until a server answers, then warm it until its latency is steady" },
  args: cittyArgs(WARM_FLAGS),
  async run({ rawArgs }) {
    const opts = parseWarmOptions(rawArgs, process.env, () => Math.floor(Math.random() * 2 ** 31));
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
      if (outcome.interrupted)
        logger.warn(
          `interrupted by ${ctx.interruptedBy() ?? "SIGINT"}: the document covers what finished (marked "complete": false)`,
        );
      process.exitCode = ctx.interruptCode();
      return;
    }
    if (doc.requests.failed > 0) {
      const classes = Object.entries(doc.errors)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`);
      logger.warn(
        `${doc.requests.failed} of ${doc.requests.sent} warm-up requests failed (${classes.join(", ")}): a run now will see errors too`,
      );
    }
    if (doc.config.max_requests !== null && !doc.steady) {
      logger.warn(
        `latency was not steady after ${doc.requests.sent} requests: a run now measures a server still warming up (raise --max-requests, or loosen --max-cv / --max-drop)`,
      );
    }
  },
});
