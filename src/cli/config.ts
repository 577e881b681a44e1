/**
 * @module cli/config
 * `switchyard config validate` (one line per problem, exit 1) and `switchyard config print`
 * (the effective configuration with every secret redacted).
 */

import { stringify } from 'yaml';
import { environmentSecrets } from '../config/source.js';
import { secretsOf } from '../gateway/create-gateway.js';
import { createRedactor } from '../observability/redact.js';
import { loadOrExit } from './load.js';

export function validateCommand(options: { config?: string; json?: boolean }): void {
  const source = loadOrExit(options.config);
  const { config } = source;
  const summary = {
    ok: true,
    source: source.source,
    providers: Object.keys(config.providers).length,
    models: Object.keys(config.models).length,
    routes: Object.keys(config.routes).length,
    warnings: source.warnings,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  for (const warning of source.warnings) process.stdout.write(`warning: ${warning}\n`);
  process.stdout.write(
    `ok: ${source.source} — ${summary.providers} providers, ${summary.models} models, ${summary.routes} routes\n`,
  );
}

export function printCommand(options: { config?: string; json?: boolean }): void {
  const source = loadOrExit(options.config);
  const redactor = createRedactor({ secrets: [...secretsOf(source.config), ...environmentSecrets()] });
  const safe = redactor.value(source.config);
  process.stdout.write(options.json ? `${JSON.stringify(safe, null, 2)}\n` : stringify(safe));
}
