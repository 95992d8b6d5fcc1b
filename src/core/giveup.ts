/**
 * When to give up on a server that accepts connections and never finishes an answer (silent, or a
 * stream that never ends). With the defaults (--timeout 60, warm-up 5, 50 requests at concurrency 5)
 * such a server used to cost about 24 minutes of silence, one --timeout after another. Pure: fed each send and each finished request.
 */
import type { ErrorClass } from "./errors.ts";

/** Why a run gave up on a server that accepts connections and never finishes an answer. */
export interface GiveUp {
  /** the first wave: requests sent before the first one finished */
  wave: number;
  /** of those, how many the server began to answer (a first byte arrived) before they timed out */
  started: number;
  timeoutS: number;
}

/**
 * The give-up rule for a server that accepts and never answers: the first wave is every request
 * sent before the first one finished (the warm-up's concurrency, or the run's); when the first
 * `wave` requests to finish all timed out and none succeeded, more of the same would only wait
 * out --timeout again and again. Pure; fed each finished request in completion order.
 */
export class FirstWaveWatch {
  private sent = 0;
  private wave: number | undefined;
  private timeouts = 0;
  private begun = 0;
  private decided = false;

  onSend(): void {
    this.sent++;
  }

  /**
   * true when this finished request completes a first wave of timeouts: give up. `answered`: a first
   * byte of its response had arrived (a stream that never ended, not silence).
   */
  onFinish(errorClass: ErrorClass | null, answered = false): boolean {
    if (this.decided) return false;
    this.wave ??= this.sent;
    if (errorClass !== "timeout") {
      this.decided = true; // a success, or another kind of failure (other rules see to those)
      return false;
    }
    this.timeouts++;
    if (answered) this.begun++;
    if (this.timeouts < this.wave) return false;
    this.decided = true;
    return true;
  }

  /** requests of the wave the server began to answer */
  get started(): number {
    return this.begun;
  }

  get waveSize(): number {
    return this.wave ?? this.sent;
  }
}
