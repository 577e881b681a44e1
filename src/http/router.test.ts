import { describe, expect, it } from 'vitest';
import type { RouteDefinition } from './context.js';
import { createRouteMatcher } from './router.js';

const route = (method: RouteDefinition['method'], path: string, summary = path): RouteDefinition => ({
  method,
  path,
  access: 'key',
  handler: () => {},
  summary,
});

const ROUTES = [
  route('POST', '/v1/chat/completions'),
  route('GET', '/v1/models'),
  route('GET', '/v1/models/:id*'),
  route('GET', '/models/:name*/status'),
  route('GET', '/v1/jobs/:id'),
  route('DELETE', '/v1/jobs/:id'),
  route('GET', '/v1/jobs'),
  route('POST', '/v1/jobs'),
];

describe('createRouteMatcher', () => {
  const matcher = createRouteMatcher(ROUTES);

  it('matches a static path by method and path, with no params', () => {
    const found = matcher.match('POST', '/v1/chat/completions');
    expect(found?.route).toBe(ROUTES[0]);
    expect(found?.params).toEqual({});
    expect(matcher.match('GET', '/v1/jobs')?.route).toBe(ROUTES[6]);
    expect(matcher.match('POST', '/v1/jobs')?.route).toBe(ROUTES[7]);
    expect(matcher.match('GET', '/v1/chat/completions')).toBeUndefined();
    expect(matcher.match('POST', '/v1/chat/completions/')).toBeUndefined();
    expect(matcher.match('POST', '/v1/chat')).toBeUndefined();
  });

  it('gives every static match params nobody can change', () => {
    const params = matcher.match('GET', '/v1/models')?.params as Record<string, string>;
    expect(() => {
      params.id = 'x';
    }).toThrow(TypeError);
    expect(matcher.match('POST', '/v1/chat/completions')?.params).toEqual({});
  });

  it('matches patterns, a rest parameter taking the rest of the path', () => {
    expect(matcher.match('GET', '/v1/models/openai/gpt-4o')).toEqual({
      route: ROUTES[2],
      params: { id: 'openai/gpt-4o' },
    });
    expect(matcher.match('GET', '/models/a/b/status')?.params).toEqual({ name: 'a/b' });
    expect(matcher.match('DELETE', '/v1/jobs/42')).toEqual({ route: ROUTES[5], params: { id: '42' } });
    expect(matcher.match('GET', '/v1/jobs/')).toBeUndefined();
    expect(matcher.match('POST', '/v1/jobs/42')).toBeUndefined();
  });

  it('lists the methods a path exists for', () => {
    expect(matcher.allowed('/v1/jobs').sort()).toEqual(['GET', 'POST']);
    expect(matcher.allowed('/v1/jobs/7').sort()).toEqual(['DELETE', 'GET']);
    expect(matcher.allowed('/nowhere')).toEqual([]);
  });

  it('lets the later of two definitions of one method and path win', () => {
    const later = route('GET', '/v1/models', 'later');
    expect(createRouteMatcher([...ROUTES, later]).match('GET', '/v1/models')?.route).toBe(later);
  });
});
