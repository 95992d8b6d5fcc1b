import { describe, expect, test } from "bun:test";
import { renderUsage } from "citty";
import {
  parseArgv,
  parseHeaders,
  parseRunOptions,
  publicConfig,
  redactUrl,
  RUN_FLAGS,
  suggest,
  type FlagTable,
} from "../../src/core/options.ts";
import { parseServeOptions, SERVE_FLAGS } from "../../src/core/options/serve.ts";
import { parseWarmOptions, WARM_FLAGS } from "../../src/core/options/warm.ts";
import { parseCompareArgs } from "../../src/core/options/compare.ts";
import { SERVER_DEFAULTS } from "../../src/core/options/serve.ts";
import { cittyArgs } from "../../src/commands/args.ts";
import { argv, usageError } from "./helpers.ts";

const parse = (args: Record<string, string | boolean>, raw: string[] = [], env: Record<string, string> = {}) =>
  parseRunOptions([...argv(args), ...raw], env, () => 1234);

describe("parseRunOptions", () => {
  test("the defaults of the original design", () => {
    const o = parse({});
    expect(o.url.href).toBe("http://localhost:8000/generate");
    expect([o.requests, o.concurrency, o.maxTokens, o.repeatRatio, o.warmup]).toEqual([50, 5, 100, 0.3, 5]);
    expect(o.output).toBeUndefined();
    expect(o.api).toBe("generate");
    expect(o.stream).toBe(false);
    expect(o.tokenizer).toBe("whitespace");
    expect(o.seed).toBe(1234); // random by default, from the injected source
    expect(o.timeoutMs).toBe(60_000);
  });

  test("values are parsed and the API is detected from the path", () => {
    const o = parse({
      endpoint: "http://h:1/v1/chat/completions",
      requests: "7",
      concurrency: "3",
      "max-tokens": "9",
      "repeat-ratio": "0.5",
      warmup: "0",
      seed: "99",
      timeout: "2.5",
    });
    expect([o.requests, o.concurrency, o.maxTokens, o.repeatRatio, o.warmup, o.seed, o.timeoutMs]).toEqual([
      7, 3, 9, 0.5, 0, 99, 2500,
    ]);
    expect(o.api).toBe("openai-chat");
    expect(o.stream).toBe(true);
    expect(parse({ endpoint: "http://h/v1/completions", stream: false }).stream).toBe(false);
  });

  test.each([
    [{ requests: "-1" }, "--requests must be ≥ 1"],
    [{ requests: "abc" }, "--requests must be an integer"],
    [{ requests: "2.5" }, "--requests must be an integer"],
    [{ requests: "1e3" }, "--requests must be an integer"],
    [{ requests: "0x10" }, "--requests must be an integer"],
    [{ "repeat-ratio": ".5e0" }, "--repeat-ratio must be a number"],
    [{ concurrency: "0" }, "--concurrency must be ≥ 1"],
    [{ "repeat-ratio": "1.5" }, "--repeat-ratio must be ≥ 0 and ≤ 1"],
    [{ "repeat-ratio": "-0.1" }, "--repeat-ratio must be ≥ 0 and ≤ 1"],
    [{ "max-tokens": "0" }, "--max-tokens must be ≥ 1"],
    [{ timeout: "0" }, "--timeout must be > 0"],
    [
      { endpoint: "localhost:8000/generate" },
      "--endpoint must be an http:// or https:// URL, got 'localhost:8000/generate'",
    ],
    [{ endpoint: "not a url" }, "--endpoint is not a valid URL"],
    [{ endpoint: "http://h/other" }, "cannot tell which API /other speaks"],
    [{ api: "grpc" }, "--api must be one of"],
    // any other --tokenizer is the path of a tokenizer.json, refused when it is read (test/integration/tokenizer-file.test.ts)
    [{ tokenizer: " " }, "--tokenizer is empty"],
    [{ "extra-body": "{bad" }, "--extra-body is not valid JSON"],
    [{ "extra-body": "[1]" }, "--extra-body must be a JSON object"],
    [{ requests: "4", "repeat-ratio": "1" }, "leaving no first request to repeat"],
  ])("rejects %j", (args, message) => {
    const e = usageError(() => parse(args as Record<string, string>));
    expect(e.message).toContain(message);
    expect(e.hint).toBeTruthy();
    expect(e.exitCode).toBe(2);
  });

  test("API key from the flag or the environment; never in the public config", () => {
    expect(parse({}, [], { OPENAI_API_KEY: "sk-env" }).apiKey).toBe("sk-env");
    expect(parse({}, [], { LLMBENCH_API_KEY: "sk-a", OPENAI_API_KEY: "sk-b" }).apiKey).toBe("sk-a");
    const o = parse({ "api-key": "sk-flag" }, [], { OPENAI_API_KEY: "sk-env" });
    expect(o.apiKey).toBe("sk-flag");
    expect(JSON.stringify(publicConfig(o))).not.toContain("sk-");
  });

  test("credentials in the endpoint are removed from what is shown", () => {
    expect(redactUrl(new URL("http://user:pw@h:1/generate?api_key=s3cret&x=1"))).toBe(
      "http://h:1/generate?api_key=REDACTED&x=1",
    );
    expect(parse({ endpoint: "http://user:pw@h:1/generate" }).endpoint).toBe("http://h:1/generate");
  });

  test("headers: repeated flags and comma-separated lists", () => {
    const raw = ["--header", "X-A: 1", "--header=X-B: two, X-C: 3", "--requests", "2"];
    expect(parseArgv(raw, RUN_FLAGS, "run").all("header")).toEqual(["X-A: 1", "X-B: two, X-C: 3"]);
    expect(parse({}, raw).headers).toEqual({ "X-A": "1", "X-B": "two", "X-C": "3" });
    expect(parseHeaders(["Accept: a, b"])).toEqual({ Accept: "a, b" }); // a comma inside a value stays
    expect(usageError(() => parseHeaders(["nocolon"])).message).toContain("'Name: value'");
  });

  test("a header value or API key no HTTP header may carry is a usage error up front, never echoed", () => {
    for (const bad of ["Bearer top\nsecret", "Bearer top\x01secret", "a\rb"]) {
      const e = usageError(() => parseHeaders([`Authorization: ${bad}`]));
      expect(e.message).toContain("--header Authorization has a control character");
      expect(e.message).not.toContain("secret");
    }
    expect(parseHeaders(["X-A: tab\tinside"])).toEqual({ "X-A": "tab\tinside" }); // a tab is allowed inside a value
    for (const key of ["top\nsecret", "top secret", "top\x00secret"]) {
      const e = usageError(() => parse({ "api-key": key }));
      expect(e.message).toContain("the API key");
      expect(e.message).not.toContain("secret");
    }
    expect(parse({ "api-key": "sk-abc\n" }).apiKey).toBe("sk-abc"); // a trailing newline (a file's) is dropped
  });
});

describe("parseArgv: the one strict parsing step", () => {
  const defs: FlagTable = {
    requests: { type: "string", description: "" },
    json: { type: "boolean", description: "" },
    quiet: { type: "boolean", alias: "q", description: "" },
    output: { type: "string", alias: "o", description: "" },
    records: { type: "boolean", description: "", default: true },
  };
  const check = (raw: string[], table: FlagTable = defs, command = "run") => parseArgv(raw, table, command);
  test("accepts known flags, aliases, --no- booleans, inline values; the last of a repeated flag counts", () => {
    const p = check(["--requests", "5", "--json", "-o", "x.json", "--no-records", "--requests=3"]);
    expect([p.get("requests"), p.flag("json"), p.get("output"), p.flag("records"), p.flag("quiet")]).toEqual([
      "3",
      true,
      "x.json",
      false,
      undefined,
    ]);
    expect(check([]).flag("records")).toBe(true); // the table's default
    expect(check(["--maxTokens", "4"], { "max-tokens": { type: "string", description: "" } }).get("max-tokens")).toBe(
      "4",
    ); // camelCase, as citty took it
  });
  test("an unknown flag names the nearest valid one", () => {
    const e = usageError(() => check(["--request", "5"]));
    expect(e.message).toBe("unknown option '--request' for 'llmbench run'");
    expect(e.hint).toBe("did you mean '--requests'?");
    expect(usageError(() => check(["--outp", "x"])).hint).toBe("did you mean '--output'?"); // a prefix of one flag
    expect(usageError(() => check(["-x"])).message).toBe("unknown option '-x' for 'llmbench run'");
  });
  test("a stray positional is rejected", () => {
    expect(usageError(() => check(["--requests", "5", "oops"])).message).toContain("unexpected argument 'oops'");
  });
  test("a value that looks like a positional is consumed by its flag", () => {
    expect(check(["--output", "file.json"]).get("output")).toBe("file.json");
  });
  test("a flag without its value is refused, not replaced by its default", () => {
    expect(usageError(() => check(["--requests"])).message).toBe("--requests needs a value");
    expect(usageError(() => check(["-o", "--json"])).message).toBe("-o needs a value");
    expect(check(["--requests", "-3"]).get("requests")).toBe("-3"); // a negative number is a value (and refused later)
    expect(usageError(() => check(["--no-requests"])).message).toBe(
      "--no-requests: --requests takes a value, it cannot be turned off",
    );
    expect(usageError(() => check(["--json=yes"])).message).toBe("--json takes no value, got '--json=yes'");
  });
  test("--version belongs to llmbench, not to a command", () => {
    expect(usageError(() => check(["--version"])).hint).toBe("'llmbench --version' prints the version");
  });
  test("no far-fetched suggestions", () => {
    expect(usageError(() => check(["--rate", "5"], { api: { type: "string", description: "" } }, "warm")).hint).toBe(
      "see 'llmbench warm --help'",
    );
  });
  test("a boolean's alias takes no value", () => {
    expect(check(["-q", "-o", "out.json"]).get("output")).toBe("out.json");
  });
  test("a multiple flag keeps every value", () => {
    expect(check(["--h", "a", "--h=b"], { h: { type: "string", multiple: true, description: "" } }).all("h")).toEqual([
      "a",
      "b",
    ]);
  });
});

describe("one rule for names: flags and commands", () => {
  const commands = ["run", "warm", "serve", "compare", "merge"];
  test.each([
    ["runn", commands, "run"],
    ["comp", commands, "compare"],
    ["me", commands, "merge"],
    ["srve", commands, "serve"],
    ["conc", Object.keys(RUN_FLAGS), "concurrency"],
    ["requets", Object.keys(RUN_FLAGS), "requests"],
    ["bogus", commands, undefined],
  ])("%s → %s", (input, names, want) => {
    expect(suggest(input, names)).toBe(want);
  });
});

describe("one number parser for every command", () => {
  test("1e3, 0x10 and Infinity are refused by run, warm and serve alike", () => {
    for (const bad of ["1e3", "0x10", "Infinity"]) {
      expect(usageError(() => parse({ requests: bad })).message).toBe(`--requests must be an integer, got '${bad}'`);
      expect(usageError(() => parseWarmOptions(["--window", bad], {}, () => 1)).message).toBe(
        `--window must be an integer, got '${bad}'`,
      );
      expect(usageError(() => parseServeOptions(["--cache-size", bad])).message).toBe(
        `--cache-size must be an integer, got '${bad}'`,
      );
    }
    expect(usageError(() => parseServeOptions(["--decode-step-ms", "1e1"])).message).toBe(
      "--decode-step-ms must be a number, got '1e1'",
    );
    expect(usageError(() => parseServeOptions(["--port", "70000"])).message).toBe(
      "--port must be ≥ 0 and ≤ 65535, got 70000",
    );
    expect(usageError(() => parseServeOptions(["--prot", "1"])).hint).toBe("did you mean '--port'?");
  });
});

describe("one defaults table per command: help shows what the parser uses", () => {
  const usage = async (table: FlagTable) =>
    Bun.stripANSI(await renderUsage({ meta: { name: "x" }, args: cittyArgs(table) }));
  test("run: every default in its help is the value parsed when the flag is absent", async () => {
    const help = await usage(RUN_FLAGS);
    for (const spec of Object.values(RUN_FLAGS as FlagTable))
      if (typeof spec.default === "string") expect(help).toContain(`(Default: ${spec.default})`);
    const o = parse({});
    expect([o.requests, o.concurrency, o.maxTokens, o.repeatRatio, o.warmup, o.timeoutMs / 1000]).toEqual(
      ["requests", "concurrency", "max-tokens", "repeat-ratio", "warmup", "timeout"].map((k) =>
        Number((RUN_FLAGS as FlagTable)[k].default),
      ),
    );
  });
  test("serve: its help's defaults are the server's own defaults (but the port, 8000 where run looks)", async () => {
    const help = await usage(SERVE_FLAGS);
    expect(help).toContain(`(Default: ${SERVER_DEFAULTS.decodeStepMs})`);
    expect(parseServeOptions([])).toEqual({ ...SERVER_DEFAULTS, port: 8000 });
  });
  test("warm and compare read their defaults from their tables", () => {
    const w = parseWarmOptions([], {}, () => 1);
    expect([w.waitMs, w.concurrency, w.maxRequests]).toEqual([
      120_000,
      Number(WARM_FLAGS.concurrency.default),
      Number(WARM_FLAGS["max-requests"].default),
    ]);
    expect(parseCompareArgs(["a.json", "b.json"]).format).toBe("text");
  });
});
