import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";
import { checkFlags, parseHeaders, parseRunOptions, publicConfig, redactUrl, repeatedFlag } from "../../src/core/options.ts";
import { usageError } from "./helpers.ts";

const parse = (args: Record<string, string | boolean>, raw: string[] = [], env: Record<string, string> = {}) =>
  parseRunOptions(args, raw, env, () => 1234);


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
    const o = parse({ endpoint: "http://h:1/v1/chat/completions", requests: "7", concurrency: "3", "max-tokens": "9", "repeat-ratio": "0.5", warmup: "0", seed: "99", timeout: "2.5" });
    expect([o.requests, o.concurrency, o.maxTokens, o.repeatRatio, o.warmup, o.seed, o.timeoutMs]).toEqual([7, 3, 9, 0.5, 0, 99, 2500]);
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
    [{ endpoint: "localhost:8000/generate" }, "--endpoint must be an http:// or https:// URL, got 'localhost:8000/generate'"],
    [{ endpoint: "not a url" }, "--endpoint is not a valid URL"],
    [{ endpoint: "http://h/other" }, "cannot tell which API /other speaks"],
    [{ api: "grpc" }, "--api must be one of"],
    [{ tokenizer: "bert" }, "--tokenizer must be one of"],
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
    expect(redactUrl(new URL("http://user:pw@h:1/generate?api_key=s3cret&x=1"))).toBe("http://h:1/generate?api_key=REDACTED&x=1");
    expect(parse({ endpoint: "http://user:pw@h:1/generate" }).endpoint).toBe("http://h:1/generate");
  });

  test("headers: repeated flags and comma-separated lists", () => {
    const raw = ["--header", "X-A: 1", "--header=X-B: two, X-C: 3", "--requests", "2"];
    expect(repeatedFlag(raw, "header")).toEqual(["X-A: 1", "X-B: two, X-C: 3"]);
    expect(parse({ header: "X-B: two, X-C: 3" }, raw).headers).toEqual({ "X-A": "1", "X-B": "two", "X-C": "3" });
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

describe("checkFlags", () => {
  const defs = { requests: { type: "string" }, json: { type: "boolean" }, quiet: { type: "boolean", alias: "q" }, output: { type: "string", alias: "o" }, records: { type: "boolean" } };
  test("accepts known flags, aliases, --no- booleans, inline values", () => {
    expect(() => checkFlags(["--requests", "5", "--json", "-o", "x.json", "--no-records", "--requests=3"], defs, "run")).not.toThrow();
  });
  test("an unknown flag names the nearest valid one", () => {
    const e = usageError(() => checkFlags(["--request", "5"], defs, "run"));
    expect(e.message).toBe("unknown option '--request' for 'llmbench run'");
    expect(e.hint).toBe("did you mean '--requests'?");
  });
  test("a stray positional is rejected", () => {
    expect(usageError(() => checkFlags(["--requests", "5", "oops"], defs, "run")).message).toContain("unexpected argument 'oops'");
  });
  test("a value that looks like a positional is consumed by its flag", () => {
    expect(() => checkFlags(["--output", "file.json"], defs, "run")).not.toThrow();
  });
  test("a flag without its value is refused, not replaced by its default", () => {
    expect(usageError(() => checkFlags(["--requests"], defs, "run")).message).toBe("--requests needs a value");
    expect(usageError(() => checkFlags(["-o", "--json"], defs, "run")).message).toBe("-o needs a value");
    expect(() => checkFlags(["--requests", "-3"], defs, "run")).not.toThrow(); // a negative number is a value (and refused later)
  });
  test("--version belongs to llmbench, not to a command", () => {
    expect(usageError(() => checkFlags(["--version"], defs, "run")).hint).toBe("'llmbench --version' prints the version");
  });
  test("no far-fetched suggestions", () => {
    expect(usageError(() => checkFlags(["--rate", "5"], { api: { type: "string" } }, "warm")).hint).toBe("see 'llmbench warm --help'");
  });
  test("a boolean's alias takes no value", () => {
    expect(() => checkFlags(["-q", "-o", "out.json"], defs, "run")).not.toThrow();
  });
});
