/** consola writing to stderr, so stdout carries only data (reports, --json). */
import { createConsola } from "consola";

export const logger = createConsola({ stdout: process.stderr, stderr: process.stderr });
