/**
 * `validate_arguments = true` (per backend): tools/call arguments are checked
 * against the inputSchema the client was shown (after param overrides and
 * injection rewrote it) with ajv. Validators are compiled on a route's first
 * call and cached by schema text, so identical schemas share one; routes are
 * rebuilt on list_changed, which refreshes them. JSON Schema 2020-12 (the MCP
 * default) and draft-07 are supported. A schema ajv cannot compile disables
 * validation for that tool (logged once) rather than breaking its calls.
 */
import type { ValidateFunction, ErrorObject } from 'ajv';
import { load } from '../../util/load.js';
import { RelayError } from '../../errors.js';
import { argumentsOf, type StageFactory } from '../types.js';

/** Distinct schemas kept compiled; backends that keep changing schemas cannot grow it further. */
const MAX_CACHED_SCHEMAS = 2_000;
type AjvCtor = new (opts: Record<string, unknown>) => { compile(schema: unknown): ValidateFunction };

function describe(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'does not match the schema';
  const where = e.instancePath ? `\`${e.instancePath.slice(1).replace(/\//g, '.')}\`` : 'arguments';
  if (e.keyword === 'required') return `${where} is missing required property \`${String((e.params as { missingProperty?: string }).missingProperty)}\``;
  if (e.keyword === 'additionalProperties') return `${where} has unknown property \`${String((e.params as { additionalProperty?: string }).additionalProperty)}\``;
  return `${where} ${e.message ?? 'is invalid'}`;
}

export const schemaValidationStage: StageFactory = (env) => {
  const enabled = new Set([...env.backends].filter(([, b]) => b.validate_arguments).map(([n]) => n));
  if (!enabled.size) return null;
  // ajv is loaded only when some backend validates arguments.
  const Ajv7 = load<{ default: AjvCtor }>('ajv').default;
  const Ajv2020 = load<{ default: AjvCtor }>('ajv/dist/2020').default;
  const addFormats = load<{ default: (ajv: unknown) => void }>('ajv-formats').default;
  const opts = { allErrors: false, strict: false, validateFormats: true };
  const draft7 = new Ajv7(opts);
  const modern = new Ajv2020(opts);
  addFormats(draft7);
  addFormats(modern);
  const cache = new Map<string, ValidateFunction | null>();

  const compile = (schema: unknown, tool: string): ValidateFunction | null => {
    const key = JSON.stringify(schema);
    let v = cache.get(key);
    if (v !== undefined) return v;
    if (cache.size >= MAX_CACHED_SCHEMAS) cache.clear();
    const dialect = String((schema as { $schema?: unknown }).$schema ?? '');
    try {
      v = (/draft-0[4-7]/.test(dialect) ? draft7 : modern).compile(schema);
    } catch (err) {
      env.log.warn({ tool, err: (err as Error).message }, 'inputSchema cannot be compiled; arguments of this tool are not validated');
      v = null;
    }
    cache.set(key, v);
    return v;
  };

  return {
    route(route) {
      if (route.kind !== 'tool' || !enabled.has(route.backend.name)) return null;
      const schema = route.item?.inputSchema;
      if (typeof schema !== 'object' || schema === null) return null;
      let validate: ValidateFunction | null | undefined;
      return (ctx, next) => {
        if (validate === undefined) validate = compile(schema, route.exposed);
        const args = argumentsOf(ctx);
        if (validate && !validate(args)) {
          const errors = (validate.errors ?? []).slice(0, 5).map((e) => ({ path: e.instancePath, keyword: e.keyword, message: e.message, params: e.params }));
          return Promise.reject(new RelayError('INVALID_ARGUMENTS', `Invalid arguments for tool ${route.exposed}: ${describe(validate.errors)}`, { name: route.exposed, errors }));
        }
        return next(ctx);
      };
    },
  };
};
