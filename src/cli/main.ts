/**
 * @module cli/main
 * The `switchyard` command line. Each command is a file that calls services; this file only
 * declares the commands, their flags and their help.
 */

import { createRequire } from 'node:module';
import { Command } from 'commander';
import { askCommand } from './ask.js';
import { printCommand, validateCommand } from './config.js';
import { mockUpstreamCommand } from './mock-upstream.js';
import { modelsCommand } from './models.js';
import { serveCommand } from './serve.js';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command('switchyard')
    .description(
      'An LLM gateway: OpenAI-compatible, routes across providers, accounts for every token and cent.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('serve')
    .description('start the gateway (simulated models when no provider API keys are set)')
    .option(
      '-c, --config <file>',
      'config file (default: $SWITCHYARD_CONFIG, ./switchyard.yaml, or built-in defaults)',
    )
    .option('--port <n>', 'port to listen on (default: server.port, 4000)')
    .option('--host <host>', 'address to bind (default 127.0.0.1; use 0.0.0.0 to accept other machines)')
    .action(serveCommand);

  program
    .command('models')
    .description('list the models and routes the configuration serves')
    .option('-c, --config <file>', 'config file')
    .option('--json', 'print JSON for scripts')
    .action(modelsCommand);

  program
    .command('ask')
    .description('send one prompt through the gateway and print the answer, model, tokens and cost')
    .requiredOption('-p, --prompt <text>', 'the prompt')
    .option('-m, --model <name>', 'model or route name (default: auto)')
    .option('-s, --strategy <name>', 'routing strategy (e.g. cheapest)')
    .option('--max-cost <usd>', 'refuse models that could cost more than this')
    .option('--chain <a,b,c>', 'fallback chain, cheapest first')
    .option('--ensemble-size <n>', 'models to ask in parallel (ensemble strategy)')
    .option('--max-tokens <n>', 'cap the answer length')
    .option('-o, --output <file>', 'write the orchestration result as JSON')
    .option('--json', 'print the orchestration result as JSON')
    .option('--url <url>', 'ask a running gateway instead of running in-process')
    .option('--api-key <key>', 'key for --url (default: $SWITCHYARD_API_KEY)')
    .option('-c, --config <file>', 'config file (in-process mode)')
    .addHelpText(
      'after',
      '\nExamples:\n  switchyard ask --prompt "What is 2+2?"\n  switchyard ask -p "Summarise this" -m gpt-4o-mini --output result.json\n',
    )
    .action(askCommand);

  const config = program.command('config').description('check or show the configuration');
  config
    .command('validate')
    .description('validate a config file; one line per problem, exit 1 if any')
    .option('-c, --config <file>', 'config file')
    .option('--json', 'print JSON for scripts')
    .action(validateCommand);
  config
    .command('print')
    .description('print the effective configuration with secrets redacted')
    .option('-c, --config <file>', 'config file')
    .option('--json', 'print JSON instead of YAML')
    .action(printCommand);

  program
    .command('mock-upstream')
    .description('run the deterministic OpenAI-wire mock upstream (for tests, benchmarks, demos)')
    .option('--port <n>', 'port (0 = any free port)', '0')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--latency-ms <ms>', 'delay before the response')
    .option('--ttft-ms <ms>', 'delay before the first streamed token')
    .option('--tokens-per-s <n>', 'stream speed (0 = as fast as possible)')
    .option('--error-rate <0..1>', 'share of requests answered with HTTP 500')
    .action(mockUpstreamCommand);

  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync(argv);
}
