/** Pure decisions of a sweep: when a level saturates, and which level is the knee. */
import type { RunSummary } from "./metrics.ts";
import type { StopOn } from "./options.ts";

/** A level's throughput must rise by at least this share over the one before to count as rising. */
export const RISING = 0.05;

/** Why the sweep should stop after `current` (null to go on). `previous` is the level before it. */
export function saturation(stopOn: StopOn, current: RunSummary, previous: RunSummary | undefined): string | null {
  if (stopOn.errorRate !== undefined && current.error_rate > stopOn.errorRate) {
    return `error rate ${(current.error_rate * 100).toFixed(1)}% is above ${(stopOn.errorRate * 100).toFixed(1)}%`;
  }
  if (stopOn.slo && current.slo && !current.slo.passed) {
    return `SLO missed: ${current.slo.terms
      .filter((t) => !t.passed)
      .map((t) => t.name)
      .join(", ")}`;
  }
  if (stopOn.plateau !== undefined && previous) {
    const before = previous.throughput.output_tokens_per_s;
    const now = current.throughput.output_tokens_per_s;
    if (before > 0 && now < before * (1 + stopOn.plateau)) {
      return `output throughput rose ${(((now - before) / before) * 100).toFixed(1)}%, less than ${(stopOn.plateau * 100).toFixed(1)}%`;
    }
  }
  return null;
}

/**
 * The knee: with SLOs, the highest level that meets them all (and has no errors above 5%);
 * without, the last level whose throughput still rose by RISING or more over the one before.
 */
export function findKnee(
  levels: readonly RunSummary[],
  withSlo: boolean,
): { index: number | null; reason: string | null } {
  if (levels.length === 0) return { index: null, reason: null };
  if (withSlo) {
    let best: number | null = null;
    levels.forEach((s, i) => {
      if (s.slo?.passed && s.error_rate <= 0.05) best = i;
    });
    return best === null
      ? { index: null, reason: "no level met the SLOs" }
      : { index: best, reason: "the highest level that met every SLO" };
  }
  let knee = 0;
  for (let i = 1; i < levels.length; i++) {
    const before = levels[i - 1].throughput.output_tokens_per_s;
    if (levels[i].throughput.output_tokens_per_s >= before * (1 + RISING)) knee = i;
    else break;
  }
  const last = knee === levels.length - 1;
  return {
    index: knee,
    reason: last
      ? "throughput still rose at the last level: the knee may lie beyond the sweep"
      : `throughput stopped rising (by ${RISING * 100}% or more) after this level`,
  };
}
