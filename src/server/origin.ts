/**
 * DNS-rebinding protection. A browser page may POST to a local server; the MCP
 * spec requires validating Origin (403 when invalid). Loopback origins are
 * always allowed; proxy.http.allowed_origins adds more ("*" allows any).
 * For a loopback listener the Host header must also name a loopback host.
 */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isAllowedOrigin(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || origin === 'null') return origin === undefined;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    return LOOPBACK.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

export function isAllowedHost(host: string | undefined, allowed: readonly string[]): boolean {
  if (host === undefined) return true;
  if (allowed.includes('*')) return true;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? host);
  return LOOPBACK.has(name) || allowed.some((o) => o === host || o.endsWith(`//${host}`));
}
