/** Opaque list cursors: base64url("<backend>\n<page index>"). */

export function encodeCursor(backend: string, page: number): string {
  return Buffer.from(`${backend}\n${page}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { backend: string; page: number } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const nl = text.lastIndexOf('\n');
  if (nl <= 0) return undefined;
  const page = Number(text.slice(nl + 1));
  return Number.isInteger(page) && page >= 0 ? { backend: text.slice(0, nl), page } : undefined;
}
