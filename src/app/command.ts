/**
 * What a command that sends requests (`run`, `warm`) sets up around its work: the output file checked
 * before anything is measured, Bun's HTTP cap (a re-exec), stop signals, messages and the live line.
 */
import { SIGNAL_EXIT, type StopSignal } from "../core/errors.ts";
import { checkWritable } from "../io/files.ts";
import { reexecForHttpCap } from "../io/http-cap.ts";
import { listenForStop } from "../io/interrupt.ts";
import { logger } from "../io/logger.ts";
import { liveLine } from "../io/terminal.ts";

export interface CommandContext {
  info: (msg: string) => void;
  /** aborted at the first Ctrl-C, SIGTERM or SIGHUP (its reason: the StopSignal) */
  interrupt: AbortSignal;
  /** the signal that interrupted the command, once one has */
  interruptedBy: () => StopSignal | undefined;
  /** the exit code of an interruption: 130 SIGINT, 143 SIGTERM, 129 SIGHUP */
  interruptCode: () => number;
  /** a live line on stderr: only on a terminal, and not with --quiet */
  live: boolean;
  /** off a terminal (and not --quiet): print a status line now and then instead (a CI log shows progress) */
  status?: (line: string) => void;
  /** draw the live line (throttled to 10 a second; `force` draws anyway) */
  draw: (line: string, force?: boolean) => void;
  /** clear the live line */
  close: () => void;
}

/**
 * Set-up shared by `run` and `warm`. Returns undefined when this process re-ran itself with Bun's
 * HTTP cap raised (the child's exit code is then set): the command has nothing left to do.
 */
export async function startCommand(
  o: { quiet: boolean; output: string | undefined },
  inFlight: number,
): Promise<CommandContext | undefined> {
  if (o.output) await checkWritable(o.output); // before the run, not after it: nothing measured is lost to a typo
  const childCode = await reexecForHttpCap(inFlight, (msg) => logger.warn(msg));
  if (childCode !== undefined) {
    process.exitCode = childCode;
    return undefined;
  }
  const stop = listenForStop();
  const line = liveLine(o.quiet);
  return {
    info: o.quiet ? () => {} : (m) => logger.info(m),
    interrupt: stop.signal,
    interruptedBy: stop.by,
    interruptCode: () => SIGNAL_EXIT[stop.by() ?? "SIGINT"],
    live: line.live,
    status: !o.quiet && !line.live ? (l) => logger.info(l) : undefined,
    draw: line.draw,
    close: line.close,
  };
}
