/** consola writing to stderr, so stdout carries only data (reports, --json); plain lines when not a terminal. */
import { createConsola } from "consola";

export const logger = createConsola({ stdout: process.stderr, stderr: process.stderr, fancy: process.stderr.isTTY === true });
