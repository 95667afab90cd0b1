import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { backendToml, config } from './fixtures.js';

/** The ConfigError message for `toml`; fails the test when it loads. */
function errorOf(toml: string): string {
  let err: unknown;
  try {
    config(toml);
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ConfigError for:\n${toml}`).toBeInstanceOf(ConfigError);
  const msg = (err as Error).message;
  expect(msg.startsWith('test.toml: ')).toBe(true);
  return msg;
}

const LABEL = '[[backends]] #1 (name = "gh")';
const gh = (extra: string): string => backendToml('gh', extra);

describe('config validation: filters', () => {
  it('expose_* and hide_* together on one kind', () => {
    for (const kind of ['tools', 'prompts', 'resources']) {
      const msg = errorOf(gh(`expose_${kind} = ["a"]\nhide_${kind} = ["b"]`));
      expect(msg).toContain(LABEL);
      expect(msg).toContain(`\`expose_${kind}\``);
      expect(msg).toContain(`\`hide_${kind}\``);
    }
  });

  it('expose on one kind and hide on another is fine', () => {
    expect(() => config(gh('expose_tools = ["a"]\nhide_prompts = ["b"]\nexpose_resources = []'))).not.toThrow();
  });

  it('an invalid re: pattern names the key and the pattern', () => {
    const msg = errorOf(gh('hide_tools = ["ok", "re:(unclosed"]'));
    expect(msg).toContain(LABEL);
    expect(msg).toContain('`hide_tools`');
    expect(msg).toContain('re:(unclosed');
    expect(errorOf(gh('expose_resources = ["re:[a-"]'))).toContain('`expose_resources`');
  });
});

describe('config validation: param_overrides', () => {
  it('two entries for one tool', () => {
    const msg = errorOf(gh('[[backends.param_overrides]]\ntool = "t"\nhide = ["a"]\n\n[[backends.param_overrides]]\ntool = "t"\nhide = ["b"]'));
    expect(msg).toContain(`${LABEL} [[backends.param_overrides]] tool = "t"`);
    expect(msg).toContain('two param_overrides entries');
  });

  it('a parameter both hidden and renamed', () => {
    const msg = errorOf(gh('[[backends.param_overrides]]\ntool = "t"\nhide = ["a"]\nrename = { a = "b" }'));
    expect(msg).toContain('[[backends.param_overrides]] tool = "t"');
    expect(msg).toContain('"a"');
    expect(msg).toContain('both hidden and renamed');
  });

  it('two renames to one name', () => {
    const msg = errorOf(gh('[[backends.param_overrides]]\ntool = "t"\nrename = { a = "x", b = "x" }'));
    expect(msg).toContain('[[backends.param_overrides]] tool = "t"');
    expect(msg).toContain('renamed to "x"');
  });

  it('a rename to a hidden name', () => {
    const msg = errorOf(gh('[[backends.param_overrides]]\ntool = "t"\nhide = ["x"]\nrename = { a = "x" }'));
    expect(msg).toContain('hidden name "x"');
  });

  it('an unknown key in a param_overrides entry', () => {
    const msg = errorOf(gh('[[backends.param_overrides]]\ntool = "t"\nremove = ["a"]'));
    expect(msg).toContain('`remove`');
    expect(msg).toContain('[[backends.param_overrides]]');
  });

  it('overrides for different tools are fine', () => {
    expect(() => config(gh('[[backends.param_overrides]]\ntool = "a"\nhide = ["x"]\n\n[[backends.param_overrides]]\ntool = "b"\nrename = { x = "y" }'))).not.toThrow();
  });
});

describe('config validation: inject_args', () => {
  it('two entries for one tool', () => {
    const msg = errorOf(gh('[[backends.inject_args]]\ntool = "t"\nargs = { a = 1 }\n\n[[backends.inject_args]]\ntool = "t"\nargs = { b = 2 }'));
    expect(msg).toContain(`${LABEL} [[backends.inject_args]] tool = "t"`);
    expect(msg).toContain('two inject_args entries');
  });

  it('an entry without args names the key', () => {
    const msg = errorOf(gh('[[backends.inject_args]]\ntool = "t"'));
    expect(msg).toContain('`args`');
  });
});

describe('config validation: policy keys on a mirror backend', () => {
  const cases: [string, string][] = [
    ['expose_tools', 'expose_tools = ["a"]'],
    ['hide_tools', 'hide_tools = ["a"]'],
    ['hide_prompts', 'hide_prompts = ["a"]'],
    ['expose_resources', 'expose_resources = ["a"]'],
    ['hide_destructive', 'hide_destructive = true'],
    ['read_only_only', 'read_only_only = true'],
    ['validate_arguments', 'validate_arguments = true'],
    ['default_args', 'default_args = { a = 1 }'],
    ['inject_args', '[[backends.inject_args]]\ntool = "t"\nargs = { a = 1 }'],
    ['param_overrides', '[[backends.param_overrides]]\ntool = "t"\nhide = ["a"]'],
  ];
  for (const [key, line] of cases) {
    it(`\`${key}\` is refused on a mirror`, () => {
      const msg = errorOf(gh('') + backendToml('gh-canary', `mirror_of = "gh"\n${line}`));
      expect(msg).toContain('[[backends]] #2 (name = "gh-canary")');
      expect(msg).toContain(`\`${key}\``);
    });
  }

  it('false or empty policy keys on a mirror are accepted', () => {
    expect(() => config(gh('') + backendToml('gh-canary', 'mirror_of = "gh"\nhide_destructive = false\ndefault_args = {}'))).not.toThrow();
  });
});

describe('config validation: composite tools', () => {
  const BASE = gh('') + backendToml('web') + backendToml('web-canary', 'mirror_of = "web"');
  const comp = (name: string, tools: string[], extra = ''): string => `[[composite_tools]]\nname = "${name}"\ntools = [${tools.map((t) => `"${t}"`).join(', ')}]\n${extra}\n`;

  it('a valid composite loads', () => {
    const cfg = config(BASE + comp('both', ['gh/a', 'web/b'], 'timeout_seconds = 2'));
    expect(cfg.composite_tools[0]).toMatchObject({ name: 'both', tools: ['gh/a', 'web/b'], strategy: 'parallel', timeout_seconds: 2 });
  });

  it('duplicate name', () => {
    const msg = errorOf(BASE + comp('both', ['gh/a']) + comp('both', ['web/b']));
    expect(msg).toContain('[[composite_tools]] #2 (name = "both")');
    expect(msg).toContain('duplicate');
  });

  it('a name starting with a backend namespace', () => {
    const msg = errorOf(BASE + comp('gh/combo', ['web/b']));
    expect(msg).toContain('[[composite_tools]] #1 (name = "gh/combo")');
    expect(msg).toContain('"gh/"');
  });

  it('a name starting with proxy/', () => {
    expect(errorOf(BASE + comp('proxy/search_tools', ['web/b']))).toContain('"proxy/"');
  });

  it('a target on an unknown backend', () => {
    const msg = errorOf(BASE + comp('both', ['gh/a', 'nope/b']));
    expect(msg).toContain('[[composite_tools]] #1 (name = "both")');
    expect(msg).toContain('"nope/b"');
  });

  it('a target without a namespace', () => {
    expect(errorOf(BASE + comp('both', ['read_file']))).toContain('"read_file"');
  });

  it('a target that is another composite', () => {
    const msg = errorOf(BASE + comp('inner', ['gh/a']) + comp('outer', ['inner', 'web/b']));
    expect(msg).toContain('[[composite_tools]] #2 (name = "outer")');
    expect(msg).toContain('"inner"');
    expect(msg).toContain('composite');
  });

  it('a target on a mirror backend', () => {
    const msg = errorOf(BASE + comp('both', ['web-canary/b']));
    expect(msg).toContain('"web-canary/b"');
    expect(msg).toContain('mirror');
  });

  it('strategy = "sequential" is rejected, naming the key', () => {
    const msg = errorOf(BASE + comp('both', ['gh/a'], 'strategy = "sequential"'));
    expect(msg).toContain('`strategy`');
    expect(msg).toContain('[composite_tools]');
  });

  it('an empty target list is rejected, naming the key', () => {
    const msg = errorOf(BASE + comp('both', []));
    expect(msg).toContain('`tools`');
  });

  it('a non-positive timeout_seconds is rejected', () => {
    expect(errorOf(BASE + comp('both', ['gh/a'], 'timeout_seconds = 0'))).toContain('`timeout_seconds`');
  });
});

describe('config validation: security.max_argument_size', () => {
  it('must be a positive integer', () => {
    expect(errorOf(`[security]\nmax_argument_size = 0\n\n${gh('')}`)).toContain('`max_argument_size`');
    expect(errorOf(`[security]\nmax_argument_size = 1.5\n\n${gh('')}`)).toContain('`max_argument_size`');
  });
});
