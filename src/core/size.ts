/** Sizes in bytes shown in messages, in the units `parseSize` (core/options/values.ts) reads. Pure. */

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
