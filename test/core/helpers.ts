/** Shared by pure tests. */
import { expect } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";

/** The UsageError `fn` throws (and fail the test when it throws something else, or nothing). */
export function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error("expected a UsageError");
}

/** A command line from flag → value: `true` is `--flag`, `false` is `--no-flag`, a string `--flag value`. */
export function argv(args: Record<string, string | boolean | undefined>): string[] {
  return Object.entries(args).flatMap(([k, v]) =>
    v === undefined ? [] : v === true ? [`--${k}`] : v === false ? [`--no-${k}`] : [`--${k}`, v],
  );
}
