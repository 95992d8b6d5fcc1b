/** What the commands that send requests share around their work (their flags: core/options/). */
import { SIGNAL_EXIT, STOP_SIGNALS, type StopSignal } from "../core/errors.ts";
import { checkWritable, writeOutput } from "../io/files.ts";
import { reexecForHttpCap } from "../io/http-cap.ts";
import { logger } from "../io/logger.ts";
import { formatDocument } from "../render/json.ts";

/** What a command that sends requests needs around its work: messages, Ctrl-C, the live line. */
export interface CommandContext {
  info: (msg: string) => void;
  /** aborted at the first Ctrl-C, SIGTERM or SIGHUP */
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
  /** clear the live line (signals stay handled until the process ends: one that comes while the result is written waits for it) */
  close: () => void;
}

/** A second Ctrl-C at least this long after the first leaves at once; sooner, it is the same press seen twice. */
const SECOND_PRESS_MS = 500;

/**
 * Set-up shared by `run` and `warm`. Returns undefined when this process re-ran itself with Bun's
 * HTTP cap raised (the child's exit code is then set): the command has nothing left to do.
 */
export async function startCommand(o: { quiet: boolean; output: string | undefined }, inFlight: number): Promise<CommandContext | undefined> {
  if (o.output) await checkWritable(o.output); // before the run, not after it: nothing measured is lost to a typo
  const childCode = await reexecForHttpCap(inFlight, (msg) => logger.warn(msg));
  if (childCode !== undefined) {
    process.exitCode = childCode;
    return undefined;
  }
  const interrupt = new AbortController();
  let firstPress = 0;
  let by: StopSignal | undefined;
  // SIGTERM (timeout, docker stop, CI limits, Kubernetes) and SIGHUP (a closed terminal) do what Ctrl-C does.
  // After a re-exec the child sees a terminal's Ctrl-C twice (from the terminal and from its parent):
  // a second signal counts only when it comes SECOND_PRESS_MS after the first, and then leaves at once.
  const onSignal = (signal: StopSignal) => {
    if (!interrupt.signal.aborted) {
      by = signal;
      firstPress = performance.now();
      interrupt.abort(signal);
    } else if (performance.now() - firstPress >= SECOND_PRESS_MS) process.exit(SIGNAL_EXIT[by ?? signal]);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => onSignal(signal));
  const live = !o.quiet && process.stderr.isTTY === true;
  let lastDraw = 0;
  return {
    info: o.quiet ? () => {} : (m) => logger.info(m),
    interrupt: interrupt.signal,
    interruptedBy: () => by,
    interruptCode: () => SIGNAL_EXIT[by ?? "SIGINT"],
    live,
    status: !o.quiet && !live ? (line) => logger.info(line) : undefined,
    draw(line, force = false) {
      const t = performance.now();
      if (!live || (!force && t - lastDraw < 100)) return;
      lastDraw = t;
      process.stderr.write(`\r\x1b[2K${line}`);
    },
    close() {
      if (live) process.stderr.write("\r\x1b[2K");
    },
  };
}

/**
 * The report (or the document with --json) on stdout first, then the file: an unwritable file loses
 * nothing printed. `--output -` writes the document to stdout instead of the report (as --json does).
 */
export async function emit(doc: unknown, o: { json: boolean; output: string | undefined }, report: string | null, info: (m: string) => void): Promise<void> {
  const text = formatDocument(doc);
  const toStdout = o.output === "-";
  if (o.json || toStdout) process.stdout.write(text);
  else if (report !== null) process.stdout.write(report);
  if (o.output && !toStdout) {
    await writeOutput(o.output, text);
    info(`result written to ${o.output}`);
  }
}
