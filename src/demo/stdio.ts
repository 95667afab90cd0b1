#!/usr/bin/env node
/**
 * Executable entry point: serves the demo MCP server over stdio.
 *
 *   node dist/demo/stdio.js [--name N] [--variant V] [--page-size N]
 *     [--delay-ms N] [--crash-tool] [--wrong-add] [--stats-file PATH]
 *
 * stdout carries the protocol, so diagnostics go to stderr only.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { exitWithError, parseDemoArgs, writeStatsOnRecord, type DemoCliOptions } from "./args.js";
import { createDemoServer } from "./server.js";
import { DemoStats } from "./stats.js";

async function main(cli: DemoCliOptions): Promise<void> {
  const stats = new DemoStats();
  if (cli.statsFile !== undefined) writeStatsOnRecord(stats, cli.statsFile);
  const server = createDemoServer(cli.demo, stats);
  await server.connect(new StdioServerTransport());
  process.stderr.write(`demo MCP server "${cli.demo.name ?? "demo"}" ready on stdio\n`);
}

let cli: DemoCliOptions;
try {
  cli = parseDemoArgs(process.argv.slice(2), "stdio");
} catch (error) {
  exitWithError("demo-stdio", error);
}
main(cli).catch((error: unknown) => {
  process.stderr.write(`demo-stdio: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
