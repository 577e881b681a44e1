/**
 * @module jobs/chat-job
 * The `chat.completion` job: an OpenAI chat request run later through the gateway, exactly as
 * `POST /v1/chat/completions` would run it — same routing, admission, fallbacks and one ledger
 * record per attempt (endpoint `jobs.chat.completions`) — with the OpenAI `chat.completion`
 * object as the job's result. The request is checked when the job is submitted, so a bad one
 * is refused then (400 naming `request.…`) instead of dying in the queue. The job carries who
 * submitted it; a virtual key is looked up again when the job runs, so a key revoked meanwhile
 * runs nothing more.
 */

import { managedAdmission } from '../admission/create-admission.js';
import { callerOf } from '../admission/virtual-keys.js';
import type { ChatRequest } from '../core/chat.js';
import { GatewayError, invalidRequest, isGatewayError } from '../core/errors.js';
import type { Gateway } from '../gateway/gateway.js';
import { type Caller, createRequestContext } from '../gateway/request-context.js';
import { decodeChatRequest } from '../http/wire/openai/decode-chat-request.js';
import { encodeChatResponse } from '../http/wire/openai/encode-chat-response.js';
import type { JobHandler } from './worker.js';

export const CHAT_COMPLETION_KIND = 'chat.completion';
export const CHAT_JOB_ENDPOINT = 'jobs.chat.completions';

/** Who submitted a job: what the request context's caller is rebuilt from (never a secret). */
export interface JobOwner {
  keyId?: string;
  project?: string;
  user?: string;
  admin: boolean;
}

export interface ChatJobPayload {
  /** The OpenAI chat request body, as submitted. */
  request: Record<string, unknown>;
  owner: JobOwner;
}

export function ownerOf(caller: Caller): JobOwner {
  const owner: JobOwner = { admin: caller.admin };
  if (caller.keyId !== undefined) owner.keyId = caller.keyId;
  if (caller.project !== undefined) owner.project = caller.project;
  if (caller.user !== undefined) owner.user = caller.user;
  return owner;
}

/** Re-roots a decoder's error at `request.`, so the client sees which field of its job is wrong. */
function underRequest(error: unknown): unknown {
  if (!isGatewayError(error)) return error;
  const field = error.details?.field;
  const path = typeof field === 'string' ? `request.${field}` : 'request';
  const message =
    typeof field === 'string' && error.message.startsWith(field)
      ? `request.${error.message}`
      : `request: ${error.message}`;
  return new GatewayError(error.code, message, {
    status: error.status,
    details: { ...error.details, field: path },
  });
}

/** Decodes and routes the job's request now, so that a bad one is refused at submission. */
export function checkChatJobRequest(gateway: Gateway, body: unknown): ChatRequest {
  let request: ChatRequest;
  try {
    request = decodeChatRequest(body);
    gateway.router.plan(request);
  } catch (error) {
    throw underRequest(error);
  }
  if (request.stream) {
    throw invalidRequest(
      'request.stream: a job answers in one piece; leave stream unset or false',
      'request.stream',
    );
  }
  return request;
}

async function callerFor(gateway: Gateway, owner: JobOwner): Promise<Caller> {
  const keys = managedAdmission(gateway.admission)?.keys;
  if (owner.keyId === undefined || keys === undefined) return { ...owner };
  const key = await keys.get(owner.keyId);
  if (key === undefined || key.revokedAt !== undefined) {
    throw new GatewayError('UNAUTHORIZED', 'the API key that submitted this job has been revoked');
  }
  if (key.expiresAt !== undefined && key.expiresAt <= Date.now()) {
    throw new GatewayError('UNAUTHORIZED', 'the API key that submitted this job has expired');
  }
  return callerOf(key);
}

export function createChatJobHandler(gateway: Gateway): JobHandler {
  return async (job, signal) => {
    const payload = job.payload as Partial<ChatJobPayload> | null;
    let request: ChatRequest;
    try {
      request = decodeChatRequest(payload?.request);
    } catch (error) {
      throw underRequest(error);
    }
    request.stream = false;
    const context = createRequestContext({
      endpoint: CHAT_JOB_ENDPOINT,
      timeoutMs: gateway.config.server.request_timeout_ms,
      signal,
      caller: await callerFor(gateway, payload?.owner ?? { admin: false }),
    });
    const outcome = await gateway.chat(request, context);
    return encodeChatResponse(outcome.result, {
      id: `chatcmpl-${context.requestId}`,
      model: outcome.model.name,
    });
  };
}
