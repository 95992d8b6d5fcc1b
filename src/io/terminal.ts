/** The live line on stderr: drawn over itself on a terminal, never written anywhere else. */

/** Most redraws of the live line a second (a `force`d draw goes anyway). */
const DRAW_EVERY_MS = 100;

export interface LiveLine {
  /** true when stderr is a terminal (and not --quiet): the line is drawn */
  live: boolean;
  /** draw the line (throttled; `force` draws anyway) */
  draw(line: string, force?: boolean): void;
  /** clear it */
  close(): void;
}

export function liveLine(quiet: boolean): LiveLine {
  const live = !quiet && process.stderr.isTTY === true;
  let lastDraw = 0;
  return {
    live,
    draw(line, force = false) {
      const t = performance.now();
      if (!live || (!force && t - lastDraw < DRAW_EVERY_MS)) return;
      lastDraw = t;
      process.stderr.write(`\r\x1b[2K${line}`);
    },
    close() {
      if (live) process.stderr.write("\r\x1b[2K");
    },
  };
}
