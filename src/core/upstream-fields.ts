/**
 * @module core/upstream-fields
 * Request body fields that could send a call to another URL or with other credentials
 * (`api_base`, `api_key`, `extra_headers`, …). The ingress drops them from what it passes on, and
 * the OpenAI adapter refuses to let passthrough set them: two guards, one list.
 */

export const UPSTREAM_TARGETING_FIELDS: readonly string[] = [
  'api_base',
  'base_url',
  'api_key',
  'api_version',
  'custom_llm_provider',
  'organization',
  'headers',
  'extra_headers',
  'extra_body',
  'deployment_id',
  'url',
  'endpoint',
  // Assigning it would set the body's prototype instead of a field.
  '__proto__',
];
