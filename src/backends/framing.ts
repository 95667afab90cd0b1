/**
 * Newline-delimited framing with a hard cap: a line longer than `maxBytes` is
 * discarded up to its newline (reported once through `onOversize`) instead of
 * growing the buffer without bound.
 */
export class LineSplitter {
  #buf = '';
  #skipping = false;
  readonly #max: number;
  readonly #onLine: (line: string) => void;
  readonly #onOversize: (bytes: number) => void;

  constructor(maxBytes: number, onLine: (line: string) => void, onOversize: (bytes: number) => void) {
    this.#max = maxBytes;
    this.#onLine = onLine;
    this.#onOversize = onOversize;
  }

  push(chunk: string): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl < 0) break;
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (this.#skipping) {
        this.#skipping = false;
        this.#buf = '';
        continue;
      }
      const line = this.#buf ? this.#buf + piece : piece;
      this.#buf = '';
      if (line.length > this.#max) {
        this.#onOversize(line.length);
        continue;
      }
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (trimmed.length) this.#onLine(trimmed);
    }
    if (start < chunk.length && !this.#skipping) {
      this.#buf += chunk.slice(start);
      if (this.#buf.length > this.#max) {
        this.#onOversize(this.#buf.length);
        this.#buf = '';
        this.#skipping = true;
      }
    }
  }
}
