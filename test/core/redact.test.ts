/** A URL's credentials never reach a message, even when the URL is refused (a bad port or scheme). */
import { describe, expect, test } from "bun:test";
import { parseRunOptions, redactUrlText } from "../../src/core/options.ts";

/** The whole message (and fix) `--endpoint value` is refused with. */
function refusal(endpoint: string): string {
  try {
    parseRunOptions(["--endpoint", endpoint, "--quiet"], {}, () => 1);
    return "accepted";
  } catch (err) {
    return `${(err as Error).message} ${(err as { hint?: string }).hint ?? ""}`;
  }
}

describe("credentials in a refused --endpoint", () => {
  const cases: Array<[string, string]> = [
    ["an invalid port", "http://bob:hunter2@localhost:99999/generate"],
    ["an invalid scheme", "ftp://bob:hunter2@localhost/generate"],
    ["no scheme at all", "bob:hunter2@localhost:8000/generate"],
    ["a host that is not one", "http://bob:hunter2@local host/generate"],
    ["an @ inside the password", "http://bob:hun@ter2@localhost:99999/generate"],
    ["a secret in the query", "http://localhost:99999/generate?api_key=hunter2&x=1"],
    ["a leading space", " http://bob:hunter2@localhost:99999/generate"],
    ["a / inside the password", "http://bob:hun/ter2@localhost:99999/generate"],
    ["a single slash after the scheme", "http:/bob:hunter2@localhost:99999/generate"],
  ];
  for (const [what, url] of cases) {
    test(`${what}: refused, the password not shown`, () => {
      const msg = refusal(url);
      expect(msg).not.toBe("accepted");
      expect(msg).not.toContain("hunter2");
      expect(msg).not.toContain("ter2");
    });
  }

  test("what the message shows instead", () => {
    expect(refusal("http://bob:hunter2@localhost:99999/generate")).toStartWith(
      "--endpoint is not a valid URL: 'http://***@localhost:99999/generate'",
    );
    // a URL that parses goes through redactUrl: no user info at all, as in result files
    expect(refusal("ftp://bob:hunter2@localhost/generate")).toStartWith(
      "--endpoint must be an http:// or https:// URL, got 'ftp://localhost/generate'",
    );
    expect(redactUrlText("http://localhost:1/x?token=abc&n=2#f")).toBe("http://localhost:1/x?token=REDACTED&n=2#f");
    // nothing to hide: unchanged
    expect(redactUrlText("http://localhost:99999/generate")).toBe("http://localhost:99999/generate");
    expect(redactUrlText("http://host/a@b")).toBe("http://host/a@b");
    // "user:pw@host" parses as scheme "user:" with no host: still the text rule, the password hidden
    expect(redactUrlText("bob:hunter2@localhost:8000/generate?auth=x")).toBe(
      "***@localhost:8000/generate?auth=REDACTED",
    );
  });
});
