/** One size formatter for every message (caps, input files), in the units `parseSize` reads. */
import { describe, expect, test } from "bun:test";
import { formatSize } from "../../src/core/size.ts";
import { parseSize } from "../../src/core/options/values.ts";

describe("formatSize", () => {
  test.each([
    [0, "0 B"],
    [99, "99 B"],
    [1023, "1023 B"],
    [1024, "1 KiB"],
    [1536, "1.5 KiB"],
    [256 * 1024, "256 KiB"],
    [4 * 1024 ** 2, "4 MiB"],
    [64 * 1024 ** 2, "64 MiB"],
    [3 * 1024 ** 3, "3 GiB"],
    [2 ** 31 - 1, "2 GiB"], // the largest input file: a byte short of 2 GiB, to a tenth
  ])("%d bytes → %s", (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  test("what it shows of a whole size, --max-body reads back", () => {
    for (const text of ["1 KiB", "512 KiB", "4 MiB", "2 GiB"])
      expect(formatSize(parseSize("max-body", text))).toBe(text);
  });
});
