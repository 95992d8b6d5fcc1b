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
 * Records read between two collections during a pass (an eden collection: well under a millisecond).
 * Measured on a 1M-record file, RSS above the pass's start: +36 MB every 20,000, +23 every 5,000,
 * +17 every 2,000, with the passes' time unchanged (2–3 s).
 */
const GC_EVERY = 2_000;

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
      // a pass makes garbage at the rate it reads; collected only when the heap has grown a lot
      // otherwise (measured: RSS 97 → 187 MB over a pass of 40k records without this, see README)
      if (++read % GC_EVERY === 0) Bun.gc(false);
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
