/**
 * @module config/source
 * Where the configuration comes from: `-c FILE`, else `SWITCHYARD_CONFIG`, else
 * `./switchyard.yaml` when present, else the built-in defaults (simulated models unless provider
 * keys are in the environment). The only module besides the loader that reads process.env.
 */

import { existsSync } from 'node:fs';
import { defaultConfig } from './defaults.js';
import { type LoadedConfig, loadConfigFile, parseConfigObject } from './load.js';

export interface ConfigSource extends LoadedConfig {
  /** Models the defaults serve from the simulator (empty when a file was loaded). */
  simulated: string[];
  builtIn: boolean;
}

export interface ResolveOptions {
  path?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Provider types the build has adapters for. */
  supportedTypes: ReadonlySet<string>;
  cwd?: string;
}

export function resolveConfig(options: ResolveOptions): ConfigSource {
  const env = options.env ?? process.env;
  const path =
    options.path ??
    (env.SWITCHYARD_CONFIG || undefined) ??
    (existsSync('switchyard.yaml') ? 'switchyard.yaml' : undefined);
  if (path !== undefined) {
    return { ...loadConfigFile(path, { env }), simulated: [], builtIn: false };
  }
  const defaults = defaultConfig(env, { supportedTypes: options.supportedTypes });
  return {
    ...parseConfigObject(defaults.config, { source: 'built-in defaults' }),
    simulated: defaults.simulated,
    builtIn: true,
  };
}

/** Secrets from the environment that the redactor must know even if config does not use them. */
export function environmentSecrets(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= 8 && /(_API_KEY|_TOKEN|_SECRET|MASTER_KEY|PASSWORD)$/.test(name))
      out.push(value);
  }
  return out;
}

/** The key a CLI client presents to a running gateway (`--url`), when `--api-key` is not given. */
export function clientApiKey(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return env.SWITCHYARD_API_KEY || env.SWITCHYARD_MASTER_KEY || undefined;
}
