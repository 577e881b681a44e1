/**
 * @module cli/main
 * The `switchyard` command line. Each command is a file that calls services; this file only
 * declares the commands, their flags and their help.
 */

import { createRequire } from 'node:module';
import { Command } from 'commander';
import { EXPORT_COLUMNS } from '../accounting/reports/export-rows.js';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/**
 * A command's action whose module is loaded when that command runs, not before: a gateway
 * started with `serve` then never loads (nor keeps in memory) the evaluation harness, the
 * reports, the key client or the mock upstream.
 */
function lazy<A extends unknown[]>(
  load: () => Promise<(...args: A) => unknown>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    await (await load())(...args);
  };
}

const keysModule = () => import('./keys.js');
const costsModule = () => import('./costs.js');
const configModule = () => import('./config.js');

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
    .action(lazy(async () => (await import('./serve.js')).serveCommand));

  program
    .command('models')
    .description('list the models and routes the configuration serves')
    .option('-c, --config <file>', 'config file')
    .option('--json', 'print JSON for scripts')
    .action(lazy(async () => (await import('./models.js')).modelsCommand));

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
    .action(lazy(async () => (await import('./ask.js')).askCommand));

  const config = program.command('config').description('check or show the configuration');
  config
    .command('validate')
    .description('validate a config file; one line per problem, exit 1 if any')
    .option('-c, --config <file>', 'config file')
    .option('--json', 'print JSON for scripts')
    .action(lazy(async () => (await configModule()).validateCommand));
  config
    .command('print')
    .description('print the effective configuration with secrets redacted')
    .option('-c, --config <file>', 'config file')
    .option('--json', 'print JSON instead of YAML')
    .action(lazy(async () => (await configModule()).printCommand));

  program
    .command('eval')
    .description(
      'replay recorded model outcomes through the routing strategies offline; print a cost–quality table',
    )
    .requiredOption(
      '--test <file>',
      'dataset to measure on: RouterBench CSV, RouteLLM CSV, or JSONL {prompt, outcomes}',
    )
    .option(
      '--train <file>',
      'dataset to learn priors and cascades from (default: k-fold cross-fitting on --test)',
    )
    .option(
      '-s, --strategy <name>',
      'method to evaluate (repeatable): cheapest, fallback, agreement',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--json', 'print the report as JSON')
    .option('--plot <file.svg>', 'write the cost–accuracy chart as SVG')
    .option('--folds <n>', 'folds for cross-fitting when there is no --train', '5')
    .option('--seed <n>', 'seed of the fold assignment', '1')
    .option('--exclude <file.jsonl>', 'JSONL of prompts to drop ({"eval_prompt"} or {"prompt"} per line)')
    .option('--points', 'also print every operating point of every method')
    .option(
      '--save-priors <file.json>',
      'write what was learned from the training data (priors, cascades, verifiers) for routing.priors_file',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  switchyard eval --test data/mbpp_train.csv --plot mbpp.svg\n  switchyard eval --train logs-march.jsonl --test logs-april.jsonl --save-priors priors.json\n',
    )
    .action(lazy(async () => (await import('./eval.js')).evalCommand));

  const keys = program
    .command('keys')
    .description('manage virtual keys (in-process on the configured storage, or on a gateway with --url)');
  const remote = (command: Command) =>
    command
      .option('--url <url>', 'manage the keys of a running gateway (admin API)')
      .option(
        '--api-key <key>',
        'master or admin key for --url (default: $SWITCHYARD_API_KEY or $SWITCHYARD_MASTER_KEY)',
      )
      .option('-c, --config <file>', 'config file (in-process mode)')
      .option('--json', 'print JSON for scripts');
  remote(
    keys
      .command('create')
      .description('mint a key; its secret is printed once')
      .requiredOption('--name <name>', 'what the key is for')
      .option('--models <a,b>', 'models and routes it may use (default: all)')
      .option('--budget-usd <usd>', 'spending limit')
      .option('--budget-window <window>', 'daily, monthly or total (default total)')
      .option('--rpm <n>', 'requests per minute')
      .option('--tpm <n>', 'tokens per minute')
      .option('--priority <0-9>', 'queue priority of its requests')
      .option('--project <name>', 'project it spends for')
      .option('--user <id>', 'user it belongs to')
      .option('--admin', 'may call the admin API and mint narrower keys')
      .option('--expires-at <iso>', 'when it stops working')
      .option('--metadata <json>', 'free JSON object kept with the key'),
  ).action(async (options) => {
    const keys = await keysModule();
    await keys.keysCommand(() => keys.runKeysCreate(options));
  });
  remote(keys.command('list').description('list keys (never their secrets)')).action(async (options) => {
    const keys = await keysModule();
    await keys.keysCommand(() => keys.runKeysList(options));
  });
  remote(
    keys.command('revoke').description('revoke a key, effective on its next request').argument('<id>'),
  ).action(async (id: string, options) => {
    const keys = await keysModule();
    await keys.keysCommand(() => keys.runKeysRevoke(id, options));
  });

  const costs = program
    .command('costs')
    .description(
      'spend and usage from the ledger (read-only on the configured SQLite, or a gateway with --url)',
    );
  const ledgerSource = (command: Command) =>
    command
      .option('--since <date>', 'from YYYY-MM-DD (UTC), an ISO time, or 7d / 24h back from now')
      .option('--until <date>', 'up to YYYY-MM-DD inclusive (UTC), or an ISO time (exclusive)')
      .option('--model <name>', 'only this model')
      .option('--key <id>', 'only this virtual key')
      .option('--project <name>', 'only this project')
      .option('--tag <tag>', 'only requests with this tag')
      .option('--url <url>', 'read a running gateway (GET /admin/usage) instead of the ledger file')
      .option(
        '--api-key <key>',
        'admin key for --url (default: $SWITCHYARD_API_KEY or $SWITCHYARD_MASTER_KEY)',
      )
      .option('-c, --config <file>', 'config file naming the ledger (storage.url)');
  ledgerSource(
    costs
      .command('stats')
      .description('requests, errors, tokens, cost and latency per period')
      .option('--period <period>', 'daily, weekly, monthly or none', 'daily')
      .option('--by <dimensions>', 'also group by model, key, project, user, tag, provider, strategy, route')
      .option('--no-p95', 'skip the 95th-percentile latency (a second pass over large ledgers)')
      .option('--format <format>', 'table, json or csv (default table)')
      .option('--json', 'print JSON for scripts'),
  ).action(lazy(async () => (await costsModule()).costsStatsCommand));
  ledgerSource(
    costs
      .command('report')
      .description('spend per period (bar chart), breakdown, month-end forecast and cheaper-model advice')
      .option('--period <period>', 'daily, weekly or monthly', 'monthly')
      .option(
        '--by <dimensions>',
        'breakdown by model, key, project, user, tag, provider, strategy, route',
        'model',
      )
      .option('--top <n>', 'how many cost-saving suggestions to list', '5')
      .option('--json', 'print JSON for scripts'),
  ).action(lazy(async () => (await costsModule()).costsReportCommand));
  ledgerSource(
    costs
      .command('export')
      .description('one row per request, oldest first, streamed')
      .option('--format <format>', 'csv (RFC 4180) or json', 'csv')
      .option('-o, --output <file>', 'write to a file (default: stdout)'),
  )
    .addHelpText(
      'after',
      `\nColumns (CSV header, JSON keys): ${EXPORT_COLUMNS.join(', ')}.\n` +
        'timestamp is ISO 8601 UTC; tags are joined with ";" in CSV; cost_usd is the exact decimal of the\n' +
        "ledger's integer nano-dollars; attempts counts upstream calls; CSV follows RFC 4180 (CRLF, quotes).\n" +
        '\nExamples:\n  switchyard costs stats --period daily --since 7d\n  switchyard costs report --by project\n' +
        '  switchyard costs export --format csv --output costs.csv --since 2026-01-01\n',
    )
    .action(lazy(async () => (await costsModule()).costsExportCommand));

  program
    .command('mock-upstream')
    .description('run the deterministic OpenAI-wire mock upstream (for tests, benchmarks, demos)')
    .option('--port <n>', 'port (0 = any free port)', '0')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--latency-ms <ms>', 'delay before the response')
    .option('--ttft-ms <ms>', 'delay before the first streamed token')
    .option('--tokens-per-s <n>', 'stream speed (0 = as fast as possible)')
    .option('--error-rate <0..1>', 'share of requests answered with HTTP 500')
    .action(lazy(async () => (await import('./mock-upstream.js')).mockUpstreamCommand));

  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync(argv);
}
