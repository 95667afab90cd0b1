/**
 * Namespacing and aliases as pure functions: `<backend><sep><name>`, split at
 * the FIRST separator, and a per-backend alias table precomputed once so that
 * resolution on the hot path is one Map lookup.
 */

export interface AliasTable {
  /** backend-local original → exposed local name */
  readonly forward: ReadonlyMap<string, string>;
  /** exposed local name → backend-local original */
  readonly reverse: ReadonlyMap<string, string>;
}

export function aliasTable(aliases: readonly { from: string; to: string }[]): AliasTable {
  return {
    forward: new Map(aliases.map((a) => [a.from, a.to])),
    reverse: new Map(aliases.map((a) => [a.to, a.from])),
  };
}

export function join(backend: string, sep: string, local: string): string {
  return backend + sep + local;
}

/** Splits at the first separator; undefined when there is none or either side is empty. */
export function split(name: string, sep: string): { backend: string; rest: string } | undefined {
  const i = name.indexOf(sep);
  if (i <= 0 || i + sep.length >= name.length) return undefined;
  return { backend: name.slice(0, i), rest: name.slice(i + sep.length) };
}

/**
 * Maps a client-facing local name back to the backend's name.
 * Returns undefined for an original that is hidden behind an alias.
 */
export function unalias(table: AliasTable, exposedLocal: string): string | undefined {
  const original = table.reverse.get(exposedLocal);
  if (original !== undefined) return original;
  return table.forward.has(exposedLocal) ? undefined : exposedLocal;
}
