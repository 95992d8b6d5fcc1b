/**
 * A result document as the text of its file (and of `--json`): indented JSON, except that each
 * per-request record is one line. Indented, a streamed record of 100 tokens took 2,299 bytes (one
 * line per token time); on one line it takes about half, which is what keeps a result of a million
 * streamed requests under the 2 GiB that `compare` and `merge` can read (one JS string). Pure.
 */

/** Where the records of a document were, while the rest is indented. */
const MARK = "\u0000llmbench-records:";

export function formatDocument(doc: unknown): string {
  const lists: unknown[][] = [];
  const text = JSON.stringify(
    doc,
    (key, value) => {
      // `requests` lists records (a run's, a sweep level's); elsewhere `requests` is a count or counts
      if (key === "requests" && Array.isArray(value) && value.length > 0) {
        lists.push(value);
        return `${MARK}${lists.length - 1}`;
      }
      return value;
    },
    2,
  );
  if (lists.length === 0) return `${text}\n`;
  const out = text.replace(
    /^( *)("requests": )"\\u0000llmbench-records:(\d+)"/gm,
    (_, indent: string, key: string, i: string) => {
      const lines = lists[Number(i)].map((r) => `${indent}  ${JSON.stringify(r)}`);
      return `${indent}${key}[\n${lines.join(",\n")}\n${indent}]`;
    },
  );
  return `${out}\n`;
}
