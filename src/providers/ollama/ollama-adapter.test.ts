import { describe, expect, it } from 'vitest';
import { adapterFor, defaultBaseUrl } from '../index.js';
import type { UpstreamTarget } from '../spec.js';
import { buildOllamaProbeRequest, createOllamaAdapter } from './ollama-adapter.js';

const target: UpstreamTarget = {
  provider: 'ollama',
  type: 'ollama',
  baseUrl: 'http://127.0.0.1:11434',
  model: 'llama3.2',
};

describe('the Ollama adapter', () => {
  it('is registered for the ollama type, streaming NDJSON, with the local server as default', () => {
    const adapter = adapterFor('ollama');
    expect(adapter?.protocol).toBe('ollama');
    expect(adapter?.streamFraming).toBe('ndjson');
    expect(defaultBaseUrl('ollama')).toBe('http://127.0.0.1:11434');
    expect(createOllamaAdapter().protocol).toBe('ollama');
  });

  it('probes health with GET /api/tags', () => {
    expect(buildOllamaProbeRequest(target)).toEqual({
      origin: 'http://127.0.0.1:11434',
      method: 'GET',
      path: '/api/tags',
      headers: { accept: 'application/json' },
    });
  });
});
