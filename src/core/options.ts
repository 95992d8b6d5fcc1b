/**
 * Strings from the command line → typed, validated options. One module per command under
 * core/options/ (run, warm, serve, compare, merge, report; target: what run and warm share), each with its
 * flag table (help and parser read the same defaults); argv.ts is the one strict parsing step and the
 * one rule for suggesting a name; values.ts the one parser of numbers, durations, sizes and URLs.
 */
export { parseArgv, suggest, type FlagTable, type ParsedArgs } from "./options/argv.ts";
export {
  parseDuration,
  parseHeaders,
  parseLevels,
  parseNumber,
  parseSize,
  parseTimeMs,
  parseUrl,
  redactUrl,
  redactUrlText,
  isHeaderValue,
} from "./options/values.ts";
export { parseTargetOptions, TARGET_FLAGS, OUTPUT_FLAGS, type TargetOptions } from "./options/target.ts";
export {
  parseRunOptions,
  parseStopOn,
  publicConfig,
  RUN_FLAGS,
  type LatencyFrom,
  type RunOptions,
  type ShardRun,
  type StopOn,
  type SweepSpec,
} from "./options/run.ts";
