/** Type guards for parsed JSON: one of each, for the decoders, the file readers and the reference server. */

/** A JSON object: not null, not an array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
