/**
 * Open files a run needs, against the process's limit: raise the soft limit up to the hard one
 * when that is enough, and say plainly when it is not. Pure: the limits come in as arguments.
 */

/** Descriptors besides the connections: stdio, the result and records files, Bun's own (event loop, pipes). */
export const FD_MARGIN = 64;

export interface FdLimit {
  soft: number;
  /** Infinity for "unlimited" */
  hard: number;
}

export interface FdPlan {
  /** raise the soft limit to this before running (undefined: leave it) */
  raiseTo?: number;
  /** the limit is below what the run may need and cannot be raised here */
  warning?: string;
}

/** `needed`: the most requests in flight (Infinity for an uncapped --rate). */
export function planFdLimit(needed: number, limit: FdLimit | undefined): FdPlan {
  if (limit === undefined) return {};
  const want = Number.isFinite(needed) ? needed + FD_MARGIN : limit.hard;
  if (limit.soft >= want) return {};
  if (limit.hard >= want) return { raiseTo: Number.isFinite(want) ? want : undefined };
  const what = Number.isFinite(needed)
    ? `the ${needed} connections this run may open (+${FD_MARGIN})`
    : "an uncapped --rate";
  return {
    raiseTo: limit.hard > limit.soft && Number.isFinite(limit.hard) ? limit.hard : undefined,
    warning: `the open-file limit is ${limit.soft} (hard ${Number.isFinite(limit.hard) ? limit.hard : "unlimited"}), below ${what}: requests past it fail as 'client' errors; raise the hard limit (ulimit -Hn as root, LimitNOFILE= under systemd, docker run --ulimit nofile=N:N), or lower --concurrency`,
  };
}

/** The "Max open files" line of /proc/self/limits; undefined when absent or unreadable. */
export function parseProcLimits(text: string): FdLimit | undefined {
  const m = text.match(/^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m);
  if (!m) return undefined;
  const n = (s: string) => (s === "unlimited" ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: n(m[1]), hard: n(m[2]) };
}
