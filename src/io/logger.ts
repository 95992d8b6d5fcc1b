/** consola writing to stderr, so stdout carries only data (reports, --json); plain lines when not a terminal. */
import { createConsola } from "consola";

// `fancy` is an option of consola's Node build; the types tsc resolves are the browser build's
const options = { stdout: process.stderr, stderr: process.stderr, fancy: process.stderr.isTTY === true };
export const logger = createConsola(options as Parameters<typeof createConsola>[0]);
