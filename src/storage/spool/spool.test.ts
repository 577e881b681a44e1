import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listSegments, openSpool, REJECTED_FILE, type Spool } from './spool.js';

interface Item {
  id: number;
  text: string;
}

const item = (id: number): Item => ({ id, text: `item ${id} "quoted"\nwith a newline` });

async function drain<T>(spool: Spool<T>): Promise<T[]> {
  const out: T[] = [];
  for (let segment = await spool.oldest(); segment !== undefined; segment = await spool.oldest()) {
    out.push(...segment.items);
    await spool.remove(segment);
  }
  return out;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'switchyard-spool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('spool', () => {
  it('gives items back in append order, across segments, and deletes what was delivered', async () => {
    const spool = await openSpool<Item>({ dir, maxSegmentBytes: 200 });
    expect(spool.isEmpty()).toBe(true);
    const appends = [];
    for (let i = 0; i < 30; i += 3) appends.push(spool.append([item(i), item(i + 1), item(i + 2)]));
    expect(spool.isEmpty()).toBe(false);
    await Promise.all(appends);
    expect((await listSegments(dir)).length).toBeGreaterThan(3);
    expect(await drain(spool)).toEqual(Array.from({ length: 30 }, (_, i) => item(i)));
    expect(spool.isEmpty()).toBe(true);
    expect(await listSegments(dir)).toEqual([]);
    await spool.close();
  });

  it('keeps items across a close and reopen, and numbers new segments after the old ones', async () => {
    const first = await openSpool<Item>({ dir });
    await first.append([item(1), item(2)]);
    await first.close();
    const second = await openSpool<Item>({ dir });
    expect(second.isEmpty()).toBe(false);
    await second.append([item(3)]);
    expect(await drain(second)).toEqual([item(1), item(2), item(3)]);
    await second.close();
  });

  it('reads around a torn last line and keeps that segment aside as .corrupt', async () => {
    writeFileSync(
      path.join(dir, 'segment-000000000007.jsonl'),
      `${JSON.stringify(item(1))}\n${JSON.stringify(item(2))}\n{"id":3,"te`,
    );
    const spool = await openSpool<Item>({ dir });
    const segment = await spool.oldest();
    expect(segment?.items).toEqual([item(1), item(2)]);
    expect(segment?.corrupt).toBe(1);
    if (segment !== undefined) await spool.remove(segment);
    expect(readdirSync(dir)).toContain('segment-000000000007.jsonl.corrupt');
    expect(await spool.oldest()).toBeUndefined();
    // New appends go after the old numbering.
    await spool.append([item(4)]);
    expect(await listSegments(dir)).toEqual(['segment-000000000008.jsonl']);
    expect((await spool.oldest())?.file).toBe('segment-000000000008.jsonl');
    await spool.close();
  });

  it('uses the parse check to mark lines corrupt', async () => {
    const spool = await openSpool<Item>({
      dir,
      parse: (value) => (typeof (value as Item).id === 'number' ? (value as Item) : undefined),
    });
    await spool.append([item(1), { nope: true } as unknown as Item]);
    const segment = await spool.oldest();
    expect(segment?.items).toEqual([item(1)]);
    expect(segment?.corrupt).toBe(1);
    await spool.close();
  });

  it('sets refused items aside with the reason', async () => {
    const spool = await openSpool<Item>({ dir });
    await spool.reject(item(9), 'value out of range');
    const line = JSON.parse(readFileSync(path.join(dir, REJECTED_FILE), 'utf8').trim()) as {
      reason: string;
      item: Item;
    };
    expect(line).toMatchObject({ reason: 'value out of range', item: item(9) });
    expect(spool.isEmpty()).toBe(true);
    await spool.close();
  });

  it('serves one process at a time', async () => {
    const spool = await openSpool<Item>({ dir });
    await expect(openSpool<Item>({ dir })).rejects.toThrow(/already open in this process/);
    await spool.close();
    // A live process on this host holds it (our parent will do).
    writeFileSync(path.join(dir, 'LOCK'), JSON.stringify({ pid: process.ppid, host: hostname() }));
    await expect(openSpool<Item>({ dir })).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
    // A dead one does not.
    writeFileSync(path.join(dir, 'LOCK'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() }));
    const taken = await openSpool<Item>({ dir });
    await taken.close();
  });

  it('refuses use after close', async () => {
    const spool = await openSpool<Item>({ dir });
    await spool.close();
    await spool.close();
    expect(() => spool.append([item(1)])).toThrow(/closed/);
  });
});
