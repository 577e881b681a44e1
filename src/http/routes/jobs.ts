/**
 * @module http/routes/jobs
 * The job API: `POST /v1/jobs` queues an OpenAI chat request to run later (202 with the job),
 * `GET /v1/jobs/{id}` tells its status, attempts and result or error, `GET /v1/jobs?state=dead`
 * lists jobs, and `POST /v1/jobs/{id}/retry` (admin) gives a dead job a fresh set of attempts.
 * A caller with a virtual key sees only the jobs it submitted; an unknown job and someone
 * else's look the same (404). Times are Unix seconds, as in OpenAI's Batch API.
 */

import { GatewayError, invalidRequest } from '../../core/errors.js';
import {
  CHAT_COMPLETION_KIND,
  type ChatJobPayload,
  checkChatJobRequest,
  ownerOf,
} from '../../jobs/chat-job.js';
import { type Jobs, jobsOf } from '../../jobs/jobs.js';
import {
  JOB_MAX_ATTEMPTS_LIMIT,
  JOB_PRIORITY_MAX,
  JOB_PRIORITY_MIN,
  JOB_STATES,
  type Job,
  type JobState,
} from '../../storage/job-ports.js';
import { readJsonBody } from '../body.js';
import type { HttpContext } from '../context.js';
import { sendJson } from '../respond.js';
import { expectIntegerInRange, isAbsent, isRecord } from '../wire/openai/field-checks.js';

const SUBMIT_FIELDS = new Set(['kind', 'request', 'priority', 'max_attempts']);
const MAX_LIST_LIMIT = 1_000;

function service(http: HttpContext): Jobs {
  const jobs = jobsOf(http.gateway);
  if (jobs === undefined) {
    throw new GatewayError('NOT_FOUND', 'jobs are not enabled on this gateway', {
      details: { hint: 'set jobs.enabled, with sqlite:// storage or storage.redis_url' },
    });
  }
  return jobs;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The wire form of a job. */
export function jobView(job: Job): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: job.id,
    object: 'job',
    kind: job.kind,
    status: job.state,
    priority: job.priority,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    created_at: seconds(job.createdAt),
    updated_at: seconds(job.updatedAt),
  };
  if (job.state === 'delayed' || job.state === 'waiting') view.run_at = seconds(job.runAt);
  if (job.finishedAt !== undefined) view.finished_at = seconds(job.finishedAt);
  if (job.state === 'completed') view.result = job.result ?? null;
  if (job.error !== undefined) {
    const { code, message, status, details } = job.error;
    view.error = {
      code,
      message,
      ...(status === undefined ? {} : { status }),
      ...(details === undefined ? {} : { details }),
    };
  }
  return view;
}

/** Whether the caller may see the job: admins see all, a key only its own. */
function visibleTo(http: HttpContext, job: Job): boolean {
  if (http.caller.admin) return true;
  const owner = (job.payload as Partial<ChatJobPayload> | null)?.owner;
  return owner?.keyId !== undefined && owner.keyId === http.caller.keyId;
}

function notFound(id: string): GatewayError {
  return new GatewayError('NOT_FOUND', `no job ${id}`);
}

export async function submitJob(http: HttpContext): Promise<void> {
  const jobs = service(http);
  const body = await readJsonBody(http.req, http.bodyLimitBytes);
  if (!isRecord(body)) throw invalidRequest('body: expected a JSON object', 'body');
  for (const key of Object.keys(body)) {
    if (!SUBMIT_FIELDS.has(key)) {
      throw invalidRequest(`${key}: unknown field; a job takes ${[...SUBMIT_FIELDS].join(', ')}`, key);
    }
  }
  if (!isAbsent(body.kind) && body.kind !== CHAT_COMPLETION_KIND) {
    throw invalidRequest(`kind: expected "${CHAT_COMPLETION_KIND}"`, 'kind');
  }
  if (!isRecord(body.request)) {
    throw invalidRequest('request: expected the OpenAI chat completion request as an object', 'request');
  }
  checkChatJobRequest(http.gateway, body.request);
  const priority = isAbsent(body.priority)
    ? undefined
    : expectIntegerInRange(body.priority, 'priority', JOB_PRIORITY_MIN, JOB_PRIORITY_MAX);
  const maxAttempts = isAbsent(body.max_attempts)
    ? undefined
    : expectIntegerInRange(body.max_attempts, 'max_attempts', 1, JOB_MAX_ATTEMPTS_LIMIT);
  const payload: ChatJobPayload = { request: body.request, owner: ownerOf(http.caller) };
  const job = await jobs.submit({
    kind: CHAT_COMPLETION_KIND,
    payload,
    ...(priority === undefined ? {} : { priority }),
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
  sendJson(http.res, 202, jobView(job), { location: `/v1/jobs/${job.id}` });
}

export async function getJob(http: HttpContext): Promise<void> {
  const id = http.params.id ?? '';
  const job = await service(http).queue.get(id);
  if (job === undefined || !visibleTo(http, job)) throw notFound(id);
  sendJson(http.res, 200, jobView(job));
}

export async function listJobs(http: HttpContext): Promise<void> {
  const jobs = service(http);
  const stateParam = http.query.get('state');
  let state: JobState | undefined;
  if (stateParam !== null && stateParam !== '') {
    if (!(JOB_STATES as readonly string[]).includes(stateParam)) {
      throw invalidRequest(`state: expected one of ${JOB_STATES.join(', ')}`, 'state');
    }
    state = stateParam as JobState;
  }
  const limitParam = http.query.get('limit');
  const limit =
    limitParam === null || limitParam === ''
      ? 100
      : expectIntegerInRange(Number(limitParam), 'limit', 1, MAX_LIST_LIMIT);
  // A key's own jobs are filtered from the newest `limit`; an admin sees them all.
  const listed = await jobs.queue.list({ limit, ...(state === undefined ? {} : { state }) });
  sendJson(http.res, 200, {
    object: 'list',
    data: listed.filter((job) => visibleTo(http, job)).map(jobView),
  });
}

export async function retryJob(http: HttpContext): Promise<void> {
  const jobs = service(http);
  const id = http.params.id ?? '';
  const job = await jobs.queue.get(id);
  if (job === undefined) throw notFound(id);
  if (!(await jobs.queue.retryDead(id))) {
    throw new GatewayError('INVALID_REQUEST', `job ${id} is ${job.state}; only a dead job can be retried`, {
      status: 409,
      details: { status: job.state },
    });
  }
  jobs.worker?.wake();
  const retried = await jobs.queue.get(id);
  sendJson(http.res, 200, jobView(retried ?? job));
}
