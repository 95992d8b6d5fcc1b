/**
 * The live progress line's numbers: requests done, the *current* request and token rates (over
 * the last few seconds, not since the start), the running TTFT median from a t-digest (cheap at
 * any sample count), and errors. Pure: times come in as arguments.
 */
import { MetricDigest } from "./stats/digest.ts";

export interface ProgressView {
  done: number;
  total: number;
  failed: number;
  requestsPerS: number;
  outputTokensPerS: number;
  ttftP50Ms: number | undefined;
}

export class ProgressTracker {
  private readonly ttft = new MetricDigest();
  private done = 0;
  private failed = 0;
  /** (time, successes so far, tokens so far) at each completion inside the window */
  private readonly recent: Array<{ t: number; ok: number; tokens: number }> = [];
  private ok = 0;
  private tokens = 0;

  constructor(private readonly windowMs = 3000) {}

  /** A measured request finished at `t` (ms). */
  add(t: number, ok: boolean, outputTokens: number, ttftMs: number | null): void {
    this.done++;
    if (!ok) this.failed++;
    else {
      this.ok++;
      this.tokens += outputTokens;
      if (ttftMs !== null) this.ttft.push(ttftMs);
    }
    this.recent.push({ t, ok: this.ok, tokens: this.tokens });
    while (this.recent.length > 2 && this.recent[0].t < t - this.windowMs) this.recent.shift();
  }

  /** `start`: when measuring began (rates over the whole run until the window fills); `total`: the goal. */
  view(t: number, start: number, total: number): ProgressView {
    const first = this.recent[0];
    const since =
      first && first.t >= t - this.windowMs && first.t > start && this.recent.length > 1
        ? first
        : { t: start, ok: 0, tokens: 0 };
    const span = (t - since.t) / 1000;
    return {
      done: this.done,
      total,
      failed: this.failed,
      requestsPerS: span > 0 ? (this.ok - since.ok) / span : 0,
      outputTokensPerS: span > 0 ? (this.tokens - since.tokens) / span : 0,
      ttftP50Ms: this.ttft.count > 0 ? this.ttft.percentile(0.5) : undefined,
    };
  }
}
