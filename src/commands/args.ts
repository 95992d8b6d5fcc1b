/** citty's argument definitions from a command's flag table (core/options/): citty renders help, with each default, from them. */
import type { ArgDef, ArgsDef } from "citty";
import type { FlagTable } from "../core/options/argv.ts";

export function cittyArgs(table: FlagTable, positionals: Record<string, { description: string }> = {}): ArgsDef {
  const out: Record<string, ArgDef> = {};
  for (const [name, p] of Object.entries(positionals))
    out[name] = { type: "positional", description: p.description, required: false };
  for (const [name, s] of Object.entries(table)) {
    const common = {
      description: s.description,
      ...(s.alias ? { alias: s.alias } : {}),
      ...(s.valueHint ? { valueHint: s.valueHint } : {}),
    };
    out[name] =
      s.type === "boolean"
        ? { type: "boolean", ...common, ...(typeof s.default === "boolean" ? { default: s.default } : {}) }
        : { type: "string", ...common, ...(typeof s.default === "string" ? { default: s.default } : {}) };
  }
  return out;
}
