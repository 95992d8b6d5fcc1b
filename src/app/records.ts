/**
 * Exact percentiles of a run whose records left memory (`--records-file`): two passes over the
 * file, one counting values in buckets, one keeping only the values of the buckets that hold the
 * wanted order statistics (core/stats/select.ts).
 */
import {
  deriveRequest,
  emptyValues,
  metricValues,
  SUMMARY_METRICS,
  type ExactPercentiles,
  type SummaryAccumulator,
  type SummaryMetric,
} from "../core/metrics.ts";
import { ExactSelector } from "../core/stats/select.ts";
import { readRecords } from "../io/records-sink.ts";

/**
 * Records read between two full collections during a pass. A pass never yields to the event loop, so
 * only a synchronous collection runs in it: `Bun.gc(false)` (asynchronous) never did, and the pass's
 * garbage piled up — most of it outside the JavaScript heap (its decoded text), which an eden
 * collection (`edenGC`) does not free either. Measured in a 1M-request `--records-file` run, peak RSS
 * in the passes: 237 MB with `Bun.gc(false)` every 2,000 records, 446 MB with `edenGC()` every 2,000,
 * 120–128 MB with `Bun.gc(true)` every 20,000 (the sending phase's own peak); the passes took ~1.5×
 * as long (~50 collections of ~40 ms each), after the run, off the clock.
 */
const GC_EVERY = 20_000;

export async function exactFromRecords(
  path: string,
  acc: SummaryAccumulator,
  latencyFrom: "send" | "due",
): Promise<{ exact: Partial<Record<SummaryMetric, ExactPercentiles>>; passes: number }> {
  const selectors = new Map<SummaryMetric, ExactSelector>();
  for (const k of SUMMARY_METRICS) {
    const d = acc.digests[k];
    if (d.count > 0) selectors.set(k, new ExactSelector(d.count));
  }
  const values = emptyValues();
  let passes = 0;
  while ([...selectors.values()].some((s) => !s.done)) {
    passes++;
    // a full collection before each pass: the run's own garbage would otherwise be the floor the
    // pass's garbage piles on (measured: RSS 165–199 MB through a 1M-request run, then 369 MB peak
    // in its passes, where the same passes alone over the same file peak at 95 MB)
    Bun.gc(true);
    const open = [...selectors.entries()].filter(([, s]) => !s.done);
    let read = 0;
    await readRecords(path, (r) => {
      // a pass makes garbage at the rate it reads (see GC_EVERY)
      if (++read % GC_EVERY === 0) Bun.gc(true);
      if (r.phase !== "measured") return;
      metricValues(deriveRequest(r, latencyFrom), values);
      for (const [k, s] of open) for (const x of values[k]) s.push(x);
    });
    for (const [, s] of open) s.end();
  }
  const exact: Partial<Record<SummaryMetric, ExactPercentiles>> = {};
  for (const [k, s] of selectors) exact[k] = s.result();
  return { exact, passes };
}
