/** Sizes in bytes: read from the command line (`--max-body 64MiB`) and shown in messages. Pure. */
import { UsageError } from "./errors.ts";

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** A size in bytes: a number with an optional binary unit (B, KiB, MiB, GiB; K/KB, M/MB, G/GB mean the same). */
export function parseSize(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  const example = `e.g. --${name} ${fallback / 1024 ** 2}MiB`;
  if (!m || unit === undefined) throw new UsageError(`--${name} must be a size such as 64MiB or 512KiB, got '${value}'`, example);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes < 1024) throw new UsageError(`--${name} must be at least 1KiB, got '${value}'`, example);
  return bytes;
}

const SIZE_STEPS: ReadonlyArray<readonly [string, number]> = [
  ["GiB", 1024 ** 3],
  ["MiB", 1024 ** 2],
  ["KiB", 1024],
];

/** "4 MiB", "1.5 KiB", "2 GiB", "99 B": in the largest binary unit the size reaches, to a tenth (the unit `parseSize` reads). */
export function formatSize(bytes: number): string {
  for (const [unit, n] of SIZE_STEPS) if (bytes >= n) return `${Math.round((bytes / n) * 10) / 10} ${unit}`;
  return `${bytes} B`;
}
