/**
 * @module routing/priors-file
 * Loads the priors file named by `routing.priors_file` — what `switchyard eval --train
 * --save-priors` learned: per-task model quality and cost, learned cascades and verifiers — once,
 * at start (a reload builds the gateway, and so reads it, again). The file is checked as a whole
 * before the gateway serves: a bad shape, a verifier whose weights do not match its features or
 * that names a feature the gateway cannot compute is one line naming the path, never a surprise on
 * the request path.
 */

import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { compileVerifier } from '../execution/confidence/learned-verifier.js';
import { type LearnedPriors, type PriorsJson, priorsFromJson } from './priors.js';

const prior = z.strictObject({
  quality: z.number().min(0).max(1),
  costPerQuery: z.number().min(0).optional(),
  samples: z.number().int().min(0),
});

const verifier = z.strictObject({
  peers: z.array(z.string().min(1)),
  features: z.array(z.string().min(1)),
  intercept: z.number(),
  weights: z.array(z.number()),
});

const priorsJsonSchema = z.strictObject({
  strength: z.number().min(0),
  models: z.record(z.string(), prior),
  tasks: z.record(z.string(), z.record(z.string(), prior)),
  cascades: z
    .record(
      z.string(),
      z.strictObject({ chain: z.array(z.string().min(1)).min(1), minConfidence: z.number().min(0).max(1) }),
    )
    .optional(),
  verifiers: z.record(z.string(), z.record(z.string(), verifier)).optional(),
});

/** Problems of a parsed priors document, one line each, prefixed with `at`. */
export function checkPriorsJson(value: unknown, at: string): { json?: PriorsJson; problems: string[] } {
  const parsed = priorsJsonSchema.safeParse(value);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map(
        (issue) => `${[at, ...issue.path.map(String)].join('.')}: ${issue.message}`,
      ),
    };
  }
  const json = parsed.data as PriorsJson;
  const problems: string[] = [];
  for (const [task, byModel] of Object.entries(json.verifiers ?? {})) {
    for (const [model, weights] of Object.entries(byModel)) {
      try {
        compileVerifier(weights);
      } catch (error) {
        problems.push(`${at}.verifiers.${task}.${model}.${(error as Error).message}`);
      }
    }
  }
  return problems.length > 0 ? { problems } : { json, problems };
}

/** Reads and checks the file `routing.priors_file` names. Throws one line per problem, naming the path. */
export async function loadPriorsFile(path: string): Promise<LearnedPriors> {
  const at = 'routing.priors_file';
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new Error(`${at}: cannot read ${path}: ${reason}`, { cause: error });
  }
  const { json, problems } = checkPriorsJson(value, `${at} (${path})`);
  if (json === undefined) throw new Error(problems.join('\n'));
  return priorsFromJson(json);
}
