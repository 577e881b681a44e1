/**
 * @module config/load
 * Reads, interpolates, validates and freezes the configuration. Validation reports every
 * problem at once, one line each, prefixed by the path of the offending value
 * (`models.gpt-4.pricing.input_per_mtok: …`), and the caller exits non-zero. The result is
 * deep-frozen: services receive it explicitly and nothing re-parses it per request.
 */

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { checkConfig } from './check.js';
import { protectReferences, resolveReferences } from './interpolate.js';
import { type Config, configSchema } from './schema.js';

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(source: string, problems: string[]) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadedConfig {
  config: Config;
  /** Problems that do not stop the gateway (e.g. a seed-format model naming an unconfigured provider). */
  warnings: string[];
  /** The file it came from, or a description such as `built-in defaults`. */
  source: string;
}

export interface ParseOptions {
  env?: Readonly<Record<string, string | undefined>>;
  source?: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part) => String(part)).join('.') || '(root)';
}

function formatIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`).join('\n');
  }
  if (issue.code === 'invalid_union' && issue.path.length > 0) {
    return `${formatPath(issue.path)}: ${issue.message}`;
  }
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/** Validates an already-parsed document (from YAML, JSON or code). Throws ConfigError. */
export function parseConfigObject(document: unknown, options: ParseOptions = {}): LoadedConfig {
  const source = options.source ?? 'configuration';
  const input = document ?? {};
  // The seed documents nest everything under `orchestrator:`; say so instead of "unknown key".
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => formatIssue(issue).split('\n'));
    throw new ConfigError(source, problems);
  }
  const { errors, warnings } = checkConfig(result.data);
  if (errors.length > 0) throw new ConfigError(source, errors);
  return { config: deepFreeze(result.data), warnings, source };
}

/** Parses YAML text with `${VAR}` interpolation. Throws ConfigError. */
export function parseConfigText(text: string, options: ParseOptions = {}): LoadedConfig {
  const source = options.source ?? 'configuration';
  const env = options.env ?? process.env;
  const protectedText = protectReferences(text);
  const doc = parseDocument(protectedText.text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((error) => {
        const line = error.linePos?.[0];
        const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return `${line ? `line ${line.line}, column ${line.col}` : '(yaml)'}: ${message}`;
      }),
    );
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  return parseConfigObject(resolveReferences(raw, protectedText.references, env), { ...options, source });
}

/** Reads a YAML file at start-up (synchronous on purpose: nothing is being served yet). */
export function loadConfigFile(path: string, options: Omit<ParseOptions, 'source'> = {}): LoadedConfig {
  const absolute = isAbsolute(path) ? path : resolvePath(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw new ConfigError(path, [`${path}: ${reason}`]);
  }
  return parseConfigText(text, { ...options, source: path });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
