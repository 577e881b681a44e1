/**
 * @module eval/datasets
 * Loaders for offline routing datasets: what several models answered to the same prompts, how good
 * each answer was and what it cost. Three forms load into one shape (`EvalDataset`):
 * - wide CSV as RouterBench publishes it: `prompt`, optional `sample_id`/`id` and `eval_name`/`task`,
 *   one score column per model, `<model>|total_cost` and `<model>|model_response`;
 * - RouteLLM's CSV: `prompt`, one True/False column per model and `<model>_response`; it carries no
 *   costs, so they are estimated from published per-token prices and token counts of the prompt and
 *   the recorded answer; prompts listed in a `*_contaminated_prompts.jsonl` beside it are dropped;
 * - JSONL, one `{prompt, task?, id?, outcomes: {model: {score, cost, response?}}}` per line.
 * An empty cell is a missing observation, never a zero: a model that was not asked has no score.
 */

import { createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createPriceCatalogue } from '../accounting/price-catalogue.js';
import type { Prices } from '../accounting/prices.js';
import { countTextTokens, warmTokenizer } from '../accounting/tokenizer.js';
import { readCsv } from './csv.js';
import { decodeTextCell } from './python-literal.js';

/** One model's recorded answer to one prompt. Absent fields were not observed. */
export interface ModelOutcome {
  /** Quality of the answer, 0..1 (1 = correct). */
  score?: number;
  /** What the call cost, USD. */
  cost?: number;
  response?: string;
}

export interface EvalRow {
  id: string;
  prompt: string;
  /** Task label (RouterBench `eval_name`, JSONL `task`, or the file's name). */
  task: string;
  outcomes: Readonly<Record<string, ModelOutcome>>;
}

export type DatasetFormat = 'routerbench' | 'routellm' | 'jsonl';

export interface EvalDataset {
  name: string;
  format: DatasetFormat;
  models: string[];
  rows: EvalRow[];
  /** What the loader assumed or dropped, for the report. */
  notes: string[];
}

export interface LoadOptions {
  /** JSONL of prompts to drop (`eval_prompt` or `prompt` fields); found automatically for RouteLLM files. */
  excludePath?: string;
  /** Per-token prices for datasets without costs, by model id; the price catalogue otherwise. */
  prices?: Readonly<Record<string, Prices>>;
}

const META_COLUMNS = new Set([
  '',
  'sample_id',
  'id',
  'prompt',
  'eval_name',
  'task',
  'oracle_model_to_route_to',
]);
const COST_SUFFIX = '|total_cost';
const RESPONSE_SUFFIX = '|model_response';
const ROUTELLM_RESPONSE_SUFFIX = '_response';

/**
 * Published prices of the models in RouteLLM's GSM8K file, which records no costs. GPT-4 Turbo
 * preview (`gpt-4-1106-preview`): $10 / $30 per million input / output tokens (OpenAI pricing page,
 * Nov 2023). Mixtral-8x7B-Instruct: $0.70 / $0.70 (Mistral API `open-mixtral-8x7b`, the figure in
 * the shipped price catalogue).
 */
export const ROUTELLM_PRICES: Readonly<Record<string, Prices>> = {
  'gpt-4-1106-preview': { inputPerMTok: 10, outputPerMTok: 30 },
  'mistralai/Mixtral-8x7B-Instruct-v0.1': { inputPerMTok: 0.7, outputPerMTok: 0.7 },
};

/** Reads a dataset, choosing the loader from the extension and the CSV header. */
export async function loadDataset(path: string, options: LoadOptions = {}): Promise<EvalDataset> {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return loadJsonl(path);
  const records = readCsv(path);
  const first = await records.next();
  if (first.done) throw new Error(`${path}: empty file`);
  const header = first.value;
  const isRouteLlm =
    !header.some((h) => h.endsWith(COST_SUFFIX) || h.endsWith(RESPONSE_SUFFIX)) &&
    header.some((h) => h.endsWith(ROUTELLM_RESPONSE_SUFFIX) && header.includes(h.slice(0, -9)));
  return isRouteLlm
    ? routeLlmFromRecords(path, header, records, options)
    : wideFromRecords(path, header, records);
}

function datasetName(path: string): string {
  return basename(path).replace(/\.[^.]+$/, '');
}

function parseScore(cell: string | undefined): number | undefined {
  if (cell === undefined) return undefined;
  const text = cell.trim();
  if (text === '') return undefined;
  const lower = text.toLowerCase();
  if (lower === 'true') return 1;
  if (lower === 'false') return 0;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function parseCost(cell: string | undefined): number | undefined {
  if (cell === undefined || cell.trim() === '') return undefined;
  const value = Number(cell);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** RouterBench's layout, which is also the generic wide CSV form. */
export async function loadRouterBench(path: string): Promise<EvalDataset> {
  const records = readCsv(path);
  const first = await records.next();
  if (first.done) throw new Error(`${path}: empty file`);
  return wideFromRecords(path, first.value, records);
}

async function wideFromRecords(
  path: string,
  header: string[],
  records: AsyncGenerator<string[]>,
): Promise<EvalDataset> {
  const at = (name: string) => header.indexOf(name);
  const promptAt = at('prompt');
  if (promptAt === -1) throw new Error(`${path}: no "prompt" column`);
  const idAt = at('sample_id') === -1 ? at('id') : at('sample_id');
  const taskAt = at('eval_name') === -1 ? at('task') : at('eval_name');
  const models = header.filter((h) => !META_COLUMNS.has(h) && !h.includes('|'));
  if (models.length === 0) throw new Error(`${path}: no model score columns`);
  const columns = models.map((model) => ({
    model,
    score: at(model),
    cost: at(model + COST_SUFFIX),
    response: at(model + RESPONSE_SUFFIX),
  }));
  const notes: string[] = [];
  const noCost = columns.filter((c) => c.cost === -1).map((c) => c.model);
  if (noCost.length > 0) notes.push(`no cost column for ${noCost.join(', ')}: their cost counts as unknown`);
  const fallbackTask = datasetName(path);
  const rows: EvalRow[] = [];
  let line = 1;
  let missing = 0;
  for await (const record of records) {
    line++;
    const outcomes: Record<string, ModelOutcome> = {};
    for (const column of columns) {
      const outcome: ModelOutcome = {};
      const score = parseScore(record[column.score]);
      if (score === undefined) missing++;
      else outcome.score = score;
      const cost = parseCost(record[column.cost]);
      if (cost !== undefined) outcome.cost = cost;
      const response = record[column.response];
      if (response !== undefined && response !== '') outcome.response = decodeTextCell(response);
      outcomes[column.model] = outcome;
    }
    rows.push({
      id: (idAt === -1 ? undefined : record[idAt]) || `${fallbackTask}:${line}`,
      prompt: decodeTextCell(record[promptAt] ?? ''),
      task: (taskAt === -1 ? undefined : record[taskAt]) || fallbackTask,
      outcomes,
    });
  }
  if (missing > 0) notes.push(`${missing} empty score cells read as missing (not as zero)`);
  return { name: datasetName(path), format: 'routerbench', models, rows, notes };
}

/** `gsm8k_responses.csv` → `gsm8k_contaminated_prompts.jsonl` in the same folder, if it exists. */
async function findExcludeFile(path: string): Promise<string | undefined> {
  const stem = datasetName(path).split('_')[0];
  const candidate = join(dirname(path), `${stem}_contaminated_prompts.jsonl`);
  try {
    await access(candidate);
    return candidate;
  } catch {
    return undefined;
  }
}

async function readExcludedPrompts(path: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    if (line.trim() === '') continue;
    const item = JSON.parse(line) as { eval_prompt?: unknown; prompt?: unknown };
    const prompt = item.eval_prompt ?? item.prompt;
    if (typeof prompt === 'string') out.add(prompt);
  }
  return out;
}

/** RouteLLM's two-model CSV; costs estimated from tokens and `options.prices`. */
export async function loadRouteLlm(path: string, options: LoadOptions = {}): Promise<EvalDataset> {
  const records = readCsv(path);
  const first = await records.next();
  if (first.done) throw new Error(`${path}: empty file`);
  return routeLlmFromRecords(path, first.value, records, options);
}

async function routeLlmFromRecords(
  path: string,
  header: string[],
  records: AsyncGenerator<string[]>,
  options: LoadOptions,
): Promise<EvalDataset> {
  const promptAt = header.indexOf('prompt');
  if (promptAt === -1) throw new Error(`${path}: no "prompt" column`);
  const models = header.filter(
    (h) =>
      h !== 'prompt' &&
      !h.endsWith(ROUTELLM_RESPONSE_SUFFIX) &&
      header.includes(h + ROUTELLM_RESPONSE_SUFFIX),
  );
  const catalogue = createPriceCatalogue();
  const notes: string[] = [];
  const prices = models.map((model) => {
    const known = options.prices?.[model] ?? ROUTELLM_PRICES[model] ?? catalogue.lookup(model);
    if (!known) throw new Error(`${path}: no price known for ${model}; pass prices or use the JSONL form`);
    notes.push(
      `${model}: cost estimated from token counts at $${known.inputPerMTok}/$${known.outputPerMTok} per Mtok in/out`,
    );
    return known;
  });
  const excludePath = options.excludePath ?? (await findExcludeFile(path));
  const excluded = excludePath === undefined ? new Set<string>() : await readExcludedPrompts(excludePath);
  await warmTokenizer();
  const columns = models.map((model, i) => ({
    model,
    prices: prices[i]!,
    score: header.indexOf(model),
    response: header.indexOf(model + ROUTELLM_RESPONSE_SUFFIX),
  }));
  const task = datasetName(path).split('_')[0] ?? datasetName(path);
  const rows: EvalRow[] = [];
  let dropped = 0;
  let line = 1;
  for await (const record of records) {
    line++;
    const prompt = record[promptAt] ?? '';
    if (excluded.has(prompt)) {
      dropped++;
      continue;
    }
    const outcomes: Record<string, ModelOutcome> = {};
    for (const column of columns) {
      const outcome: ModelOutcome = {};
      const score = parseScore(record[column.score]);
      if (score !== undefined) outcome.score = score;
      const response = record[column.response] ?? '';
      if (response !== '') outcome.response = response;
      const inputTokens = countTextTokens(prompt, column.model);
      const outputTokens = countTextTokens(response, column.model);
      outcome.cost =
        (inputTokens * column.prices.inputPerMTok + outputTokens * column.prices.outputPerMTok) / 1e6;
      outcomes[column.model] = outcome;
    }
    rows.push({ id: `${task}:${line}`, prompt, task, outcomes });
  }
  if (excludePath !== undefined) {
    notes.push(`dropped ${dropped} prompts listed in ${basename(excludePath)}`);
  }
  return { name: datasetName(path), format: 'routellm', models, rows, notes };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One `{prompt, task?, id?, outcomes: {model: {score, cost, response?}}}` per line. */
export async function loadJsonl(path: string): Promise<EvalDataset> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  const name = datasetName(path);
  const models = new Set<string>();
  const rows: EvalRow[] = [];
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let item: unknown;
    try {
      item = JSON.parse(text);
    } catch (err) {
      throw new Error(`${path}:${line}: not JSON (${(err as Error).message})`);
    }
    if (!isRecord(item) || typeof item.prompt !== 'string' || !isRecord(item.outcomes)) {
      throw new Error(`${path}:${line}: expected {prompt, outcomes: {model: {score, cost}}}`);
    }
    const outcomes: Record<string, ModelOutcome> = {};
    for (const [model, raw] of Object.entries(item.outcomes)) {
      if (!isRecord(raw)) throw new Error(`${path}:${line}: outcomes.${model} is not an object`);
      const outcome: ModelOutcome = {};
      const score = typeof raw.score === 'boolean' ? Number(raw.score) : raw.score;
      if (typeof score === 'number' && Number.isFinite(score)) outcome.score = score;
      if (typeof raw.cost === 'number' && Number.isFinite(raw.cost) && raw.cost >= 0) outcome.cost = raw.cost;
      if (typeof raw.response === 'string') outcome.response = raw.response;
      outcomes[model] = outcome;
      models.add(model);
    }
    rows.push({
      id: typeof item.id === 'string' || typeof item.id === 'number' ? String(item.id) : `${name}:${line}`,
      prompt: item.prompt,
      task: typeof item.task === 'string' && item.task !== '' ? item.task : name,
      outcomes,
    });
  }
  return { name, format: 'jsonl', models: [...models], rows, notes: [] };
}
