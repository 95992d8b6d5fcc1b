import { defineCommand } from "citty";
import { judge, runBenchmark } from "../app/run.ts";
import { runSweep, type SweepDeps } from "../app/sweep.ts";
import { EXIT } from "../core/errors.ts";
import { checkFlags, parseRunOptions } from "../core/options.ts";
import { writeFileAtomic } from "../io/files.ts";
import { reexecForHttpCap } from "../io/http-cap.ts";
import { logger } from "../io/logger.ts";
import { renderProgress, renderReport } from "../render/report.ts";
import { renderSweep } from "../render/sweep.ts";
import { outputArgs, targetArgs } from "./_shared.ts";

const args = {
  ...targetArgs,
  requests: { type: "string", alias: "n", description: "measured requests, warm-up not included (default 50)" },
  duration: { type: "string", alias: "d", description: "measure for this long instead of a number of requests: 60s, 500ms, 2m" },
  concurrency: { type: "string", alias: "c", description: "most requests in flight at once (default 5; with --rate, a cap only when given); a list or range sweeps" },
  rate: { type: "string", alias: "r", description: "open loop: requests per second, arriving at random (Poisson by default); a list or range sweeps" },
  burstiness: { type: "string", description: "gamma shape of the arrival gaps with --rate: 1 = Poisson, < 1 burstier, > 1 more even (default 1)" },
  "ramp-up": { type: "string", description: "ramp from zero to the rate or concurrency over this long, excluded from the numbers (e.g. 10s)" },
  "latency-from": { type: "string", description: "send | due: measure TTFT and latency from when a request was sent (default) or was due (with --rate)" },
  slo: { type: "string", description: "objectives, e.g. ttft_p95=200ms,tpot_p50=30ms,e2e_p99=5s; goodput counts requests meeting them; a miss exits 1" },
  cooldown: { type: "string", description: "sweeps (several --concurrency or --rate levels, e.g. 1,2,4 or 1..64x2): pause between levels" },
  "stop-on": { type: "string", description: "sweeps: stop once a level saturates: saturation, or error-rate=5%,slo,plateau=5%" },
  "repeat-ratio": { type: "string", description: "share of measured requests that repeat an earlier prompt, 0..1 (default 0.3)" },
  warmup: { type: "string", description: "requests sent first and discarded (default 5)" },
  records: { type: "boolean", description: "keep per-request records in the result (--no-records drops them)", default: true },
  ...outputArgs,
} as const;

export const run = defineCommand({
  meta: { name: "run", description: "Run a benchmark against an endpoint, print a report, write a result JSON" },
  args,
  async run({ args: parsed, rawArgs }) {
    checkFlags(rawArgs, args, "run");
    const opts = parseRunOptions(parsed, rawArgs, process.env, () => Math.floor(Math.random() * 2 ** 31));
    const childCode = await reexecForHttpCap(opts.concurrency);
    if (childCode !== undefined) {
      process.exitCode = childCode;
      return;
    }
    const info = opts.quiet ? () => {} : (m: string) => logger.info(m);
    const size = opts.requests !== undefined ? `${opts.requests} requests` : `${(opts.durationMs ?? 0) / 1000} s`;
    const load = opts.rate !== undefined ? `${opts.rate} req/s${Number.isFinite(opts.concurrency) ? ` (cap ${opts.concurrency})` : ""}` : `concurrency ${opts.concurrency}`;
    info(`llmbench run: ${opts.api} ${opts.endpoint}, ${size}, ${load}, seed ${opts.seed}`);

    const interrupt = new AbortController();
    const onSigint = () => {
      if (interrupt.signal.aborted) process.exit(EXIT.interrupted); // a second Ctrl-C: leave now
      interrupt.abort();
    };
    process.on("SIGINT", onSigint);
    const live = !opts.quiet && process.stderr.isTTY === true;
    let lastDraw = 0;
    const deps: SweepDeps = {
      interrupt: interrupt.signal,
      info,
      onProgress: live
        ? (p) => {
            const t = performance.now();
            if (t - lastDraw < 100 && p.done < p.total) return;
            lastDraw = t;
            process.stderr.write(`\r\x1b[2K${renderProgress(p)}`);
          }
        : undefined,
      onLevel: live ? () => process.stderr.write("\r\x1b[2K") : undefined,
    };
    const outcome = await (opts.sweep ? runSweep(opts, deps) : runBenchmark(opts, deps)).finally(() => process.off("SIGINT", onSigint));
    if (live) process.stderr.write("\r\x1b[2K");

    const { doc } = outcome;
    if (opts.output) {
      await writeFileAtomic(opts.output, `${JSON.stringify(doc, null, 2)}\n`);
      info(`result written to ${opts.output}`);
    }
    process.stdout.write(opts.json ? `${JSON.stringify(doc, null, 2)}\n` : doc.sweep ? renderSweep(doc) : renderReport(doc));
    const verdict = judge(outcome);
    for (const w of verdict.warnings) logger.warn(w);
    if (verdict.error) throw verdict.error;
    process.exitCode = verdict.exitCode;
  },
});
