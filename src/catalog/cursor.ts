/** Opaque list cursors: base64url("<backend>\n<page index>"). */

export function encodeCursor(backend: string, page: number): string {
  return Buffer.from(`${backend}\n${page}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { backend: string; page: number } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const nl = text.lastIndexOf('\n');
  if (nl <= 0) return undefined;
  const digits = text.slice(nl + 1);
  const page = Number(digits);
  return /^\d{1,16}$/.test(digits) && Number.isSafeInteger(page) ? { backend: text.slice(0, nl), page } : undefined;
}
