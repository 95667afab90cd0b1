/**
 * [security] max_argument_size: refuses a tools/call whose arguments, as
 * compact JSON, exceed the limit in bytes — measured on the client's own
 * arguments, before the proxy adds any. The body limit (proxy.http.max_body_bytes)
 * still applies to the whole request.
 */
import { RelayError } from '../../errors.js';
import { argumentsOf, type StageFactory } from '../types.js';

export const argumentSizeStage: StageFactory = (env) => {
  const limit = env.config.security.max_argument_size;
  if (limit === undefined) return null;
  return {
    route(route) {
      if (route.kind !== 'tool') return null;
      return (ctx, next) => {
        const size = Buffer.byteLength(JSON.stringify(argumentsOf(ctx)));
        if (size > limit) {
          return Promise.reject(new RelayError('ARGUMENTS_TOO_LARGE', `Tool arguments exceed maximum size: ${size} bytes (limit: ${limit} bytes)`, { size, limit, name: route.exposed }));
        }
        return next(ctx);
      };
    },
  };
};
