/**
 * What to do about a failure whose cause does not depend on the command that met it (`run`,
 * `warm`): one sentence per error class, so both commands give the same advice.
 */

/** The load flags of the command giving the advice: `warm` has no --rate. */
export type AdviceFor = "run" | "warm";

/** The fix for every request failing with `redirect` or `client` — never the server's fault to wait out. */
export function classAdvice(cls: "redirect" | "client", command: AdviceFor = "run"): string {
  switch (cls) {
    case "redirect":
      return `llmbench never follows redirects (it would send the request and its credentials elsewhere): pass the final URL as --endpoint`;
    case "client":
      return `the machine running llmbench ran out of file descriptors or memory, not the server: raise the open-file limit (ulimit -n), or lower ${command === "run" ? "--rate / --concurrency" : "--concurrency"}`;
  }
}
