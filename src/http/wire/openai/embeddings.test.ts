import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { EmbeddingResult } from '../../../core/chat.js';
import { GatewayError } from '../../../core/errors.js';
import { decodeEmbeddingsRequest } from './decode-embeddings-request.js';
import { encodeEmbeddingBase64, encodeEmbeddingsResponse } from './encode-embeddings-response.js';
import { encodeModel, encodeModelList } from './encode-models.js';

function fieldOf(body: unknown): string | undefined {
  try {
    decodeEmbeddingsRequest(body);
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'INVALID_REQUEST')
      return error.details?.field as string;
    throw error;
  }
  return undefined;
}

describe('decodeEmbeddingsRequest', () => {
  it('decodes a string or a list of strings', () => {
    expect(decodeEmbeddingsRequest({ model: 'e', input: 'hello' })).toEqual({ model: 'e', input: ['hello'] });
    expect(
      decodeEmbeddingsRequest({
        model: 'e',
        input: ['a', 'b'],
        dimensions: 256,
        encoding_format: 'base64',
        user: 'u',
        switchyard: { strategy: 'cheapest' },
      }),
    ).toEqual({
      model: 'e',
      input: ['a', 'b'],
      dimensions: 256,
      encodingFormat: 'base64',
      user: 'u',
      routing: { strategy: 'cheapest' },
    });
  });

  it.each([
    [{ input: 'x' }, 'model'],
    [{ model: 'e' }, 'input'],
    [{ model: 'e', input: '' }, 'input'],
    [{ model: 'e', input: [] }, 'input'],
    [{ model: 'e', input: [1, 2, 3] }, 'input'],
    [{ model: 'e', input: [[1, 2]] }, 'input'],
    [{ model: 'e', input: ['a', 5] }, 'input'],
    [{ model: 'e', input: ['a', {}] }, 'input[1]'],
    [{ model: 'e', input: ['a', ''] }, 'input[1]'],
    [{ model: 'e', input: new Array(2049).fill('a') }, 'input'],
    [{ model: 'e', input: 'a', dimensions: 0 }, 'dimensions'],
    [{ model: 'e', input: 'a', encoding_format: 'int8' }, 'encoding_format'],
    [{ model: 'e', input: 'a', user: 1 }, 'user'],
    [{ model: 'e', input: 'a', switchyard: { nope: 1 } }, 'switchyard.nope'],
  ])('%j → %s', (body, field) => {
    expect(fieldOf(body)).toBe(field);
  });

  it('says why token arrays are refused', () => {
    expect(() => decodeEmbeddingsRequest({ model: 'e', input: [[1, 2]] })).toThrow(
      'input: token arrays are not supported; send text',
    );
  });
});

const RESULT: EmbeddingResult = {
  model: 'upstream-model',
  embeddings: [
    [0.1, -0.25, 3.5],
    [1, 0, -1],
  ],
  usage: { inputTokens: 7, outputTokens: 0 },
};

describe('encodeEmbeddingsResponse', () => {
  it('encodes floats', () => {
    expect(encodeEmbeddingsResponse(RESULT, { model: 'emb', encodingFormat: 'float' })).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.1, -0.25, 3.5] },
        { object: 'embedding', index: 1, embedding: [1, 0, -1] },
      ],
      model: 'emb',
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
  });

  it('encodes base64 as little-endian float32', () => {
    const text = encodeEmbeddingBase64([1, -2.5]);
    expect(Buffer.from(text, 'base64')).toEqual(
      Buffer.from([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0]),
    );
  });

  it('gives the official client (which asks for base64 by default) the same vectors', async () => {
    const server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        raw += chunk;
      });
      req.on('end', () => {
        const request = decodeEmbeddingsRequest(JSON.parse(raw));
        const body = encodeEmbeddingsResponse(RESULT, {
          model: request.model,
          encodingFormat: request.encodingFormat ?? 'float',
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...body, requested: request.encodingFormat }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
      const response = await client.embeddings.create({ model: 'emb', input: ['a', 'b'] });
      expect((response as unknown as { requested: string }).requested).toBe('base64');
      expect(response.data.map((item) => item.embedding)).toEqual(
        RESULT.embeddings.map((vector) => Array.from(new Float32Array(vector))),
      );
      const floats = await client.embeddings.create({ model: 'emb', input: 'a', encoding_format: 'float' });
      expect(floats.data[0]?.embedding).toEqual([0.1, -0.25, 3.5]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('encodeModels', () => {
  it('encodes one model and the list', () => {
    const listing = { id: 'gpt-4o-mini', created: 1700000000, ownedBy: 'switchyard' };
    expect(encodeModel(listing)).toEqual({
      id: 'gpt-4o-mini',
      object: 'model',
      created: 1700000000,
      owned_by: 'switchyard',
    });
    expect(encodeModelList([listing, { ...listing, id: 'auto' }])).toEqual({
      object: 'list',
      data: [
        { id: 'gpt-4o-mini', object: 'model', created: 1700000000, owned_by: 'switchyard' },
        { id: 'auto', object: 'model', created: 1700000000, owned_by: 'switchyard' },
      ],
    });
  });
});
