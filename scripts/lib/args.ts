/** `--name value` from a script's command line, or `fallback` when the flag is not given. */
export function arg(name: string, fallback: string, argv: readonly string[] = process.argv.slice(2)): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
}
