/**
 * Logging: pino (fast, structured, the de-facto Node logger) writing to stderr,
 * because stdout carries the protocol in --stdio mode. With json_logs = false a
 * small formatter prints `HH:MM:SS.mmm LEVEL msg key=value` for humans.
 * Secrets never reach the logger: callers log names and codes, not config.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

function humanLine(obj: Record<string, unknown>): string {
  const t = new Date(typeof obj.time === 'number' ? obj.time : Date.now()).toISOString().slice(11, 23);
  const level = LEVEL_NAMES[obj.level as number] ?? String(obj.level);
  let line = `${t} ${level.padEnd(5)} ${String(obj.msg ?? '')}`;
  for (const [k, v] of Object.entries(obj)) {
    if (SKIP.has(k) || v === undefined) continue;
    line += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  }
  return line + '\n';
}

export function createLogger(opts: { level: LevelWithSilent; json: boolean }): Logger {
  if (opts.json) return pino({ level: opts.level, base: undefined }, pino.destination({ fd: 2, sync: false }));
  const dest = pino.destination({ fd: 2, sync: true });
  const stream = {
    write(chunk: string): void {
      try {
        dest.write(humanLine(JSON.parse(chunk) as Record<string, unknown>));
      } catch {
        dest.write(chunk);
      }
    },
  };
  return pino({ level: opts.level, base: undefined }, stream);
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
