/**
 * The one pattern language of the policy stages (filters, mirror_tools …):
 *   "read_file"        exact name
 *   "read_*", "a/**"   anchored glob (picomatch: * does not cross "/", ** does,
 *                      ?, [..], {a,b}, leading ! negates)
 *   "re:^list"         regular expression, unanchored (as in mcp-proxy)
 * Compiled once at config load; an invalid pattern is a config error.
 */
import picomatch from 'picomatch';

export type Matcher = (name: string) => boolean;

const GLOB_CHARS = /[*?[\]{}!]/;

export function compilePattern(pattern: string): Matcher {
  if (pattern.startsWith('re:')) {
    const re = new RegExp(pattern.slice(3));
    return (name) => re.test(name);
  }
  if (GLOB_CHARS.test(pattern)) return picomatch(pattern, { dot: true });
  return (name) => name === pattern;
}

/** Matches when any pattern matches; undefined for an empty or absent list. */
export function compilePatterns(patterns: readonly string[] | undefined): Matcher | undefined {
  if (!patterns || patterns.length === 0) return undefined;
  const matchers = patterns.map(compilePattern);
  return matchers.length === 1 ? matchers[0] : (name) => matchers.some((m) => m(name));
}
