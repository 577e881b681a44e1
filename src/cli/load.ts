/**
 * @module cli/load
 * Loading config for a command: one line per problem on stderr and exit code 1 on bad config,
 * so a typo never starts a half-configured gateway.
 */

import { ConfigError } from '../config/load.js';
import { type ConfigSource, resolveConfig } from '../config/source.js';
import { SUPPORTED_PROVIDER_TYPES } from '../providers/index.js';

export function loadOrExit(path: string | undefined): ConfigSource {
  try {
    return resolveConfig({
      ...(path === undefined ? {} : { path }),
      supportedTypes: SUPPORTED_PROVIDER_TYPES,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.stderr.write('Fix the lines above, then run `switchyard config validate` to check.\n');
      process.exit(1);
    }
    throw error;
  }
}

export function fail(message: string, hint?: string): never {
  process.stderr.write(`error: ${message}\n`);
  if (hint) process.stderr.write(`${hint}\n`);
  process.exit(1);
}
