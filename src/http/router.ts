/**
 * @module http/router
 * Matches method + path to a route definition. Static paths are one map lookup per method, and
 * their match is built once (its params a frozen empty object), so the hot path joins no key and
 * allocates nothing; patterns with `:param` segments (and a trailing `:param*` that takes the
 * rest of the path) are few and tried in order. The route table is data, so a test can enumerate it.
 */

import type { RouteDefinition } from './context.js';

export interface Match {
  route: RouteDefinition;
  params: Readonly<Record<string, string>>;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

export interface RouteMatcher {
  match(method: string, path: string): Match | undefined;
  /** Methods the path exists for (for 405). */
  allowed(path: string): string[];
}

interface Pattern {
  route: RouteDefinition;
  segments: string[];
}

function matchPattern(segments: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.endsWith('*') && segment.startsWith(':')) {
      // A rest parameter must be followed only by literal segments, matched from the end.
      const tail = segments.slice(i + 1);
      if (parts.length - i < tail.length + 1) return undefined;
      for (let j = 0; j < tail.length; j++) {
        if (parts[parts.length - tail.length + j] !== tail[j]) return undefined;
      }
      params[segment.slice(1, -1)] = parts.slice(i, parts.length - tail.length).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.startsWith(':')) {
      if (part === '') return undefined;
      params[segment.slice(1)] = part;
    } else if (segment !== part) {
      return undefined;
    }
  }
  return parts.length === segments.length ? params : undefined;
}

export function createRouteMatcher(routes: readonly RouteDefinition[]): RouteMatcher {
  // Method → path → match: a `${method} ${path}` key would be joined and hashed per request.
  const exact = new Map<string, Map<string, Match>>();
  const patterns: Pattern[] = [];
  for (const route of routes) {
    if (route.path.includes(':')) {
      patterns.push({ route, segments: route.path.split('/') });
      continue;
    }
    let paths = exact.get(route.method);
    if (paths === undefined) {
      paths = new Map();
      exact.set(route.method, paths);
    }
    paths.set(route.path, { route, params: NO_PARAMS });
  }
  const findPatterns = (path: string) => {
    const parts = path.split('/');
    const found: Match[] = [];
    for (const pattern of patterns) {
      const params = matchPattern(pattern.segments, parts);
      if (params) found.push({ route: pattern.route, params });
    }
    return found;
  };
  return {
    match(method, path) {
      const found = exact.get(method)?.get(path);
      if (found !== undefined) return found;
      return findPatterns(path).find((m) => m.route.method === method);
    },
    allowed(path) {
      const methods = new Set<string>();
      for (const route of routes) if (route.path === path) methods.add(route.method);
      for (const m of findPatterns(path)) methods.add(m.route.method);
      return [...methods];
    },
  };
}
