/**
 * Golden files: a renderer's whole output, kept beside the test and reviewed line by line once.
 * A change shows as a diff against the file. After a change that is meant, rewrite the files with
 *   UPDATE_GOLDEN=1 npx bun test test/render
 * and review `git diff test/render/golden` before committing it.
 */
import { expect } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const DIR = join(import.meta.dir, "golden");

export function expectGolden(name: string, actual: string): void {
  const file = join(DIR, name);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file))
    throw new Error(`no golden file ${name}: write it with UPDATE_GOLDEN=1 npx bun test test/render, then review it`);
  expect(actual).toBe(readFileSync(file, "utf8"));
}
