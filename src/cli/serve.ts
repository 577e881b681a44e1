/**
 * @module cli/serve
 * `switchyard serve`: load config, build the gateway, listen, and say plainly what is being
 * served (simulated or live models, open or key-protected). Stops cleanly on SIGINT/SIGTERM,
 * flushing the ledger. SIGHUP reloads the config file, as `POST /admin/config/reload` does.
 */

import { resolve as resolvePath } from 'node:path';

import { environmentSecrets } from '../config/source.js';
import { reloaderOf } from '../gateway/config-reloader.js';
import { createGateway } from '../gateway/create-gateway.js';
import { startHttpServer } from '../http/server.js';
import { limitHeapGrowth } from './heap-growth.js';
import { loadOrExit } from './load.js';

export interface ServeOptions {
  config?: string;
  port?: string;
  host?: string;
}

export async function serveCommand(options: ServeOptions): Promise<void> {
  limitHeapGrowth();
  const source = loadOrExit(options.config);
  const { config } = source;
  const port = options.port === undefined ? config.server.port : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`error: --port must be a port number, got ${options.port}\n`);
    process.exit(1);
  }
  const host = options.host ?? config.server.host;
  const gateway = await createGateway(config, {
    secrets: environmentSecrets(),
    // Reloads read the same file, whatever the working directory becomes.
    ...(source.builtIn ? {} : { configFile: resolvePath(source.source) }),
  });
  for (const warning of source.warnings) gateway.logger.warn(warning);
  const server = await startHttpServer(gateway, { host, port });

  const models = [...gateway.registry.models.values()];
  const available = models.filter((m) => m.deployments.length > 0);
  const lines = [
    `Switchyard listening on ${server.url}  (config: ${source.source})`,
    `  ${available.length} of ${models.length} models available; OpenAI-compatible base URL: ${server.url}/v1`,
  ];
  if (source.simulated.length > 0) {
    lines.push(
      `  No provider API keys found for: ${source.simulated.join(', ')}.`,
      '  These models are SIMULATED: answers are synthetic, deterministic and free. Set OPENAI_API_KEY',
      '  (or write a switchyard.yaml) to serve real models.',
    );
  }
  lines.push(
    config.auth.master_key
      ? '  Auth: a key is required (Authorization: Bearer <key> or x-api-key).'
      : '  Auth: OPEN — anyone who can reach this address can use it. Set SWITCHYARD_MASTER_KEY to require a key.',
  );
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    lines.push(`  Listening on ${host}: reachable from other machines.`);
  }
  lines.push(
    `  Try: curl ${server.url}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"auto","messages":[{"role":"user","content":"What is 2+2?"}]}'`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: shutting down, flushing the ledger…\n`);
    await server.close();
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => {
    const reloader = reloaderOf(gateway);
    if (stopping || reloader === undefined) return;
    if (reloader.file === undefined) {
      gateway.logger.warn('SIGHUP: started from the built-in defaults, there is no config file to reload');
      return;
    }
    // The reloader logs the outcome; a refusal is logged with one line per problem.
    reloader.reload('signal').catch((error: unknown) => {
      gateway.logger.error('SIGHUP: the config file was not reloaded', { error });
    });
  });
}
