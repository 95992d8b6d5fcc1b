import { describe, expect, test } from "bun:test";
import { FD_MARGIN, parseProcLimits, planFdLimit } from "../../src/core/fdlimit.ts";

describe("open-file limit", () => {
  test("enough already: nothing to do", () => {
    expect(planFdLimit(1000, { soft: 20000, hard: 20000 })).toEqual({});
    expect(planFdLimit(10_000, undefined)).toEqual({});
  });
  test("the soft limit is raised to what the connections need when the hard limit allows", () => {
    expect(planFdLimit(10_000, { soft: 1024, hard: 1_048_576 })).toEqual({ raiseTo: 10_000 + FD_MARGIN });
    expect(planFdLimit(10_000, { soft: 1024, hard: Number.POSITIVE_INFINITY })).toEqual({
      raiseTo: 10_000 + FD_MARGIN,
    });
  });
  test("an uncapped rate takes all the hard limit allows", () => {
    expect(planFdLimit(Number.POSITIVE_INFINITY, { soft: 1024, hard: 4096 })).toEqual({ raiseTo: 4096 });
  });
  test("a hard limit below the need: raised as far as it goes, and a warning with the fix", () => {
    const plan = planFdLimit(10_000, { soft: 1024, hard: 4096 });
    expect(plan.raiseTo).toBe(4096);
    expect(plan.warning).toBe(
      `the open-file limit is 1024 (hard 4096), below the 10000 connections this run may open (+${FD_MARGIN}): requests past it fail as 'client' errors; raise the hard limit (ulimit -Hn as root, LimitNOFILE= under systemd, docker run --ulimit nofile=N:N), or lower --concurrency`,
    );
    expect(planFdLimit(10_000, { soft: 4096, hard: 4096 }).raiseTo).toBeUndefined();
  });
  test("/proc/self/limits", () => {
    const text =
      "Limit                     Soft Limit           Hard Limit           Units     \nMax processes             unlimited            unlimited            processes \nMax open files            1024                 524288               files     \n";
    expect(parseProcLimits(text)).toEqual({ soft: 1024, hard: 524288 });
    expect(parseProcLimits("Max open files            unlimited            unlimited            files")).toEqual({
      soft: Infinity,
      hard: Infinity,
    });
    expect(parseProcLimits("nothing here")).toBeUndefined();
  });
});
