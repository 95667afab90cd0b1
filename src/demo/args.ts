/**
 * Command-line handling shared by the demo server entry points
 * (`stdio.ts` and `http.ts`): flag parsing and the optional stats file.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { DemoOptions } from "./server.js";
import type { DemoStats } from "./stats.js";

export interface DemoCliOptions {
  demo: DemoOptions;
  /** `--stats-file PATH`: stats JSON is rewritten there after each call. */
  statsFile?: string;
  /** HTTP mode only. */
  host?: string;
  /** HTTP mode only. */
  port?: number;
  /** HTTP mode only: answer POSTs with plain JSON instead of SSE. */
  jsonResponse: boolean;
}

const OPTIONS = {
  name: { type: "string" },
  variant: { type: "string" },
  "page-size": { type: "string" },
  "delay-ms": { type: "string" },
  "crash-tool": { type: "boolean" },
  "wrong-add": { type: "boolean" },
  "stats-file": { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  "json-response": { type: "boolean" },
} as const;

const HTTP_ONLY = ["host", "port", "json-response"] as const;

/** Parses demo flags; throws an Error with a readable message on bad input. */
export function parseDemoArgs(argv: string[], mode: "stdio" | "http"): DemoCliOptions {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  if (mode === "stdio") {
    const misplaced = HTTP_ONLY.find((flag) => values[flag] !== undefined);
    if (misplaced !== undefined) throw new Error(`--${misplaced} is only valid for the HTTP demo server`);
  }
  const demo: DemoOptions = {
    ...(values.name !== undefined && { name: values.name }),
    ...(values.variant !== undefined && { variant: values.variant }),
    ...optionalInt("pageSize", "page-size", values["page-size"], 0),
    ...optionalInt("delayMs", "delay-ms", values["delay-ms"], 0),
    ...(values["crash-tool"] === true && { crashTool: true }),
    ...(values["wrong-add"] === true && { wrongAdd: true }),
  };
  return {
    demo,
    ...(values["stats-file"] !== undefined && { statsFile: values["stats-file"] }),
    ...(values.host !== undefined && { host: values.host }),
    ...optionalInt("port", "port", values.port, 0, 65535),
    jsonResponse: values["json-response"] === true,
  };
}

function optionalInt<K extends string>(
  key: K,
  flag: string,
  raw: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): Partial<Record<K, number>> {
  if (raw === undefined) return {};
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`--${flag} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return { [key]: value } as Partial<Record<K, number>>;
}

/** Rewrites `path` synchronously with the stats JSON after every record. */
export function writeStatsOnRecord(stats: DemoStats, path: string): void {
  const write = (): void => writeFileSync(path, `${JSON.stringify(stats)}\n`);
  stats.onRecord = write;
  write();
}

/** Reports a startup error on stderr and exits with a usage error code. */
export function exitWithError(prefix: string, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${prefix}: ${message}\n`);
  process.exit(2);
}
