/**
 * A wire protocol is self-contained: apart from its registration in `src/providers/index.ts`
 * and the client-facing codec of the same protocol (`src/http/wire/<protocol>/`, which shares
 * its wire types), no source file reaches into a protocol's folder. So adding a protocol means
 * adding its folder and registering it, and nothing else in the gateway changes.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../src');
const PROTOCOLS = readdirSync(join(SRC, 'providers')).filter(
  (name) => statSync(join(SRC, 'providers', name)).isDirectory() && name !== 'shared',
);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__fixtures__' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('protocol folders', () => {
  it('finds the protocols', () => {
    expect(PROTOCOLS).toEqual(expect.arrayContaining(['anthropic', 'gemini', 'ollama', 'openai']));
  });

  it('are imported only by the registration and their own client-facing codec', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = relative(SRC, file);
      const text = readFileSync(file, 'utf8');
      for (const protocol of PROTOCOLS) {
        if (from.startsWith(`providers/${protocol}/`)) continue;
        if (from === 'providers/index.ts' || from.startsWith(`http/wire/${protocol}/`)) continue;
        const pattern = new RegExp(`from '[./]*/(?:providers/)?${protocol}/[^']*'`);
        const importsIt =
          pattern.test(text) &&
          [...text.matchAll(/from '([^']+)'/g)].some((m) => {
            const target = relative(SRC, join(file, '..', m[1]!));
            return target.startsWith(`providers/${protocol}/`);
          });
        if (importsIt) offenders.push(`${from} → providers/${protocol}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('are registered in one place: one adapter entry each', () => {
    const registration = readFileSync(join(SRC, 'providers/index.ts'), 'utf8');
    for (const protocol of PROTOCOLS.filter((p) => p !== 'simulator')) {
      expect(registration).toMatch(new RegExp(`from '\\./${protocol}/`));
    }
  });
});
