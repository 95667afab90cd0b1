/**
 * stdio connector: one child process per backend, newline-delimited JSON on
 * stdin/stdout (lines capped at max_message_bytes), stderr forwarded to the log.
 * The child gets an allow-listed environment plus the configured `env`, never
 * the proxy's whole environment (it may hold secrets meant for other backends).
 * If the child exits, in-flight requests fail with BACKEND_EXITED and the
 * supervisor in backend.ts restarts it with backoff.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { RelayError } from '../errors.js';
import type { JsonRpcMessage } from '../util/jsonrpc.js';
import { BaseBackend, type BackendOptions, type Reply, type RequestOptions } from './backend.js';
import { LineSplitter } from './framing.js';

/** Variables a typical MCP server needs to run; everything else must be configured. */
const INHERITED_ENV = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TMPDIR', 'TZ', 'SYSTEMROOT', 'APPDATA', 'USERPROFILE'];
const KILL_GRACE_MS = 2_000;
/** stdin bytes queued for a child that does not read before requests are refused. */
const MAX_STDIN_BACKLOG = 8 * 1024 * 1024;

export interface StdioBackendOptions extends BackendOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of INHERITED_ENV) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...extra };
}

export class StdioBackend extends BaseBackend {
  readonly transport = 'stdio' as const;
  readonly #cfg: StdioBackendOptions;
  #child: ChildProcessWithoutNullStreams | undefined;
  #pending = new Map<string, Pending>();

  constructor(opts: StdioBackendOptions) {
    super(opts);
    this.#cfg = opts;
    // stdout carries no link between a server→client request and the call it serves
    this.trackOutstanding();
  }

  protected async connect(): Promise<void> {
    const child = spawn(this.#cfg.command, this.#cfg.args, {
      cwd: this.#cfg.cwd,
      env: childEnv(this.#cfg.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.#child = child;
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.on('error', (err) => this.log.error({ err: err.message }, 'child process error'));
    child.stdin.on('error', () => undefined); // EPIPE when the child dies; exit handles it
    // 'close' (not 'exit'): stdout is drained, so a reply written just before exiting still arrives.
    child.once('close', (code, signal) => this.#onExit(child, code, signal));
    const stdout = new LineSplitter(this.opts.maxMessageBytes, (line) => this.#onLine(line), (n) =>
      this.log.error({ bytes: n, limit: this.opts.maxMessageBytes }, 'stdout line exceeds max_message_bytes; dropped'),
    );
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => stdout.push(chunk));
    const stderr = new LineSplitter(64 * 1024, (line) => this.log.info({ stderr: line.slice(0, 4096) }, 'backend stderr'), () => undefined);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => stderr.push(chunk));
    await spawned;
    await this.handshake();
  }

  protected async disconnect(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    this.#failAll(new RelayError('BACKEND_UNAVAILABLE', `Backend "${this.name}" was stopped`, { backend: this.name }));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      kill.unref();
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.stdin.end();
      child.kill('SIGTERM');
    });
  }

  protected send(idText: string, text: string, opts: RequestOptions): Promise<Reply> {
    const child = this.#child;
    if (!child) return Promise.reject(this.unavailable());
    if (child.stdin.writableLength > MAX_STDIN_BACKLOG) {
      return Promise.reject(new RelayError('BACKEND_OVERLOADED', `Backend "${this.name}" is not reading its stdin`, { backend: this.name }));
    }
    const key = idText.slice(1, -1);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        this.cancelUpstream(idText, 'timeout');
        reject(new RelayError('BACKEND_TIMEOUT', `Backend "${this.name}" did not answer within ${opts.timeoutMs} ms`, { backend: this.name, timeoutMs: opts.timeoutMs }));
      }, opts.timeoutMs);
      this.#pending.set(key, { resolve, reject, timer });
      if (opts.ticket) {
        opts.ticket.cancel = (reason: string) => {
          const p = this.#pending.get(key);
          if (!p) return;
          this.#pending.delete(key);
          clearTimeout(p.timer);
          this.cancelUpstream(idText, reason);
          p.reject(new RelayError('REQUEST_CANCELLED', 'Request cancelled by the client', { backend: this.name }));
        };
      }
      child.stdin.write(text + '\n');
    });
  }

  protected post(text: string): void {
    this.#child?.stdin.write(text + '\n');
  }

  #onLine(line: string): void {
    let msg: JsonRpcMessage;
    try {
      msg = JSON.parse(line) as JsonRpcMessage;
    } catch {
      this.log.warn({ line: line.slice(0, 200) }, 'non-JSON line on stdout ignored');
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    if (!('method' in msg) && 'id' in msg && msg.id !== null) {
      const key = String(msg.id);
      const p = this.#pending.get(key);
      if (p) {
        this.#pending.delete(key);
        clearTimeout(p.timer);
        p.resolve({ raw: line, idText: JSON.stringify(msg.id) });
        return;
      }
    }
    this.handleIncoming(msg);
  }

  #onExit(child: ChildProcessWithoutNullStreams, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child && this.#child !== undefined) return;
    this.#child = undefined;
    const reason = `process exited (${signal ? `signal ${signal}` : `code ${code}`})`;
    this.#failAll(new RelayError('BACKEND_EXITED', `Backend "${this.name}" ${reason} while the request was in flight`, { backend: this.name, exitCode: code, signal }));
    this.connectionLost(reason);
  }

  #failAll(err: RelayError): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
  }
}
