/**
 * @module http/wire/openai/encode-models
 * The gateway's models and routes → OpenAI's `GET /v1/models` list and `GET /v1/models/{id}`
 * objects (`{id, object: 'model', created, owned_by}`).
 */

import type { OpenAIModel } from '../../../providers/openai/openai-chat-api.js';

export interface ModelListing {
  id: string;
  /** Unix seconds. */
  created: number;
  ownedBy: string;
}

export function encodeModel(model: ModelListing): OpenAIModel {
  return { id: model.id, object: 'model', created: model.created, owned_by: model.ownedBy };
}

export function encodeModelList(models: readonly ModelListing[]): { object: 'list'; data: OpenAIModel[] } {
  return { object: 'list', data: models.map(encodeModel) };
}
