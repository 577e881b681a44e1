import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineSink } from './line-sink.js';

/** Line `i` of a test: its number, then 0–199 characters, some of them multi-byte. */
const LINE = (i: number) => `${i} ${'x'.repeat(i % 150)}${'é€'.repeat(i % 25)}\n`;
const linesUpTo = (n: number) => Array.from({ length: n }, (_, i) => LINE(i));

describe('LineSink', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchyard-sink-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const flushed = (sink: LineSink) =>
    new Promise<void>((resolve, reject) => sink.flush((error) => (error ? reject(error) : resolve())));

  it('keeps the order of lines across chunks, with multi-byte text and lines longer than a chunk', async () => {
    const file = join(directory, 'out.log');
    const sink = new LineSink({ file, chunkBytes: 1024 });
    const lines = linesUpTo(3000);
    lines.splice(10, 0, `${'long '.repeat(1000)}\n`); // the first chunk has lines already
    lines.splice(500, 0, `${'ü'.repeat(600)}\n`); // 1,201 bytes: fits no chunk, though 601 characters do
    lines.splice(501, 0, `${'y'.repeat(1023)}\n`); // exactly a chunk
    lines.push(`${'z'.repeat(3000)}\n`);
    for (const line of lines) expect(sink.write(line)).toBe(true);
    await flushed(sink);
    expect(await readFile(file, 'utf8')).toBe(lines.join(''));
    await sink.close();
  });

  it('flush waits for every line logged before it, even before the file is open', async () => {
    const file = join(directory, 'a', 'b', 'out.log');
    const sink = new LineSink({ file });
    const lines = linesUpTo(2000);
    for (const line of lines) sink.write(line);
    await flushed(sink);
    expect(await readFile(file, 'utf8')).toBe(lines.join(''));
    sink.write('after\n');
    await flushed(sink);
    expect(await readFile(file, 'utf8')).toBe(`${lines.join('')}after\n`);
    await flushed(sink); // nothing pending: resolves at once
    await sink.close();
  });

  it('takes a line logged from inside a flush callback', async () => {
    const file = join(directory, 'out.log');
    const sink = new LineSink({ file, chunkBytes: 1024 });
    const lines = linesUpTo(100);
    for (const line of lines) sink.write(line);
    await new Promise<void>((resolve) =>
      sink.flush(() => {
        sink.write('from the callback\n');
        sink.flush(() => resolve());
      }),
    );
    expect(await readFile(file, 'utf8')).toBe(`${lines.join('')}from the callback\n`);
    await sink.close();
  });

  it('writes a line within flushEveryMs without being asked', async () => {
    const file = join(directory, 'out.log');
    const sink = new LineSink({ file, flushEveryMs: 20 });
    sink.write('soon\n');
    const deadline = Date.now() + 2000;
    let content = '';
    while (Date.now() < deadline && content === '') {
      await new Promise((resolve) => setTimeout(resolve, 10));
      content = await readFile(file, 'utf8').catch(() => '');
    }
    expect(content).toBe('soon\n');
    await sink.close();
  });

  it('drops lines past the limit, counts them, and reports the count once writing resumes', async () => {
    const file = join(directory, 'out.log');
    const sink = new LineSink({
      file,
      chunkBytes: 1024,
      maxBufferedBytes: 10_000,
      droppedLine: (count) => `dropped ${count}\n`,
    });
    const lines = linesUpTo(1000);
    // Nothing is written while this loop runs, so the limit is reached.
    const taken = lines.filter((line) => sink.write(line));
    expect(taken.length).toBeGreaterThan(10);
    expect(taken.length).toBeLessThan(200);
    expect(taken).toEqual(lines.slice(0, taken.length));
    await flushed(sink);
    sink.write('after\n');
    await flushed(sink);
    expect(await readFile(file, 'utf8')).toBe(`${taken.join('')}dropped ${1000 - taken.length}\nafter\n`);
    await sink.close();
  });

  it('does not throw on a write error: the lines are counted as dropped and flush rejects with it', async () => {
    const file = join(directory, 'read-only');
    await writeFile(file, '');
    const fd = openSync(file, 'r');
    try {
      const sink = new LineSink({ fd, chunkBytes: 1024 });
      for (const line of linesUpTo(100)) sink.write(line);
      await expect(flushed(sink)).rejects.toMatchObject({ code: 'EBADF' });
      expect(() => sink.write('more\n')).not.toThrow();
      await expect(flushed(sink)).rejects.toMatchObject({ code: 'EBADF' });
    } finally {
      closeSync(fd);
    }
  });

  it('reports a file that cannot be opened through flush, and drops what is logged', async () => {
    const file = join(directory, 'taken');
    await mkdir(file); // a directory where the file should be
    const sink = new LineSink({ file });
    sink.write('before the open failed\n');
    await expect(flushed(sink)).rejects.toMatchObject({ code: 'EISDIR' });
    expect(sink.write('after\n')).toBe(false);
    await expect(flushed(sink)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('holds an exit listener only while lines wait to be written', async () => {
    const before = process.listenerCount('exit');
    const sinks = [1, 2, 3].map((n) => new LineSink({ file: join(directory, `${n}.log`) }));
    expect(process.listenerCount('exit')).toBe(before);
    for (const sink of sinks) sink.write('line\n');
    expect(process.listenerCount('exit')).toBe(before + 1);
    await Promise.all(sinks.map(flushed));
    expect(process.listenerCount('exit')).toBe(before);
    sinks[0]!.write('again\n');
    expect(process.listenerCount('exit')).toBe(before + 1);
    await Promise.all(sinks.map((sink) => sink.close()));
    expect(process.listenerCount('exit')).toBe(before);
  });
});

describe('LineSink to a pipe, in a child process', () => {
  const FILLED = '<filled>';
  const SINK = pathToFileURL(join(import.meta.dirname, 'line-sink.ts')).href;
  const ROOT = join(import.meta.dirname, '../..');

  /**
   * Runs `body` in a child whose standard output is a pipe (through `cat`). With `readAfterMs`,
   * that pipe is read only that long after the child calls `filled()`: until then it fills up,
   * and writes to it block, or fail with EAGAIN once the child made it non-blocking.
   */
  async function child(
    body: string,
    readAfterMs = 0,
    reader = 'cat',
  ): Promise<{ output: string; errors: string }> {
    const script = `const { LineSink } = await import(${JSON.stringify(SINK)});
const { writeSync } = await import('node:fs');
const LINE = ${LINE.toString()};
const filled = () => writeSync(2, '${FILLED}');
process.on('exit', (code) => code === 0 || writeSync(2, 'exit code ' + code));
${body}`;
    const shell = spawn(
      'sh',
      ['-c', `"${process.execPath}" --import tsx --input-type=module -e "$SCRIPT" | ${reader}`],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SCRIPT: script },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output: Buffer[] = [];
    let errors = '';
    if (readAfterMs > 0) shell.stdout.pause();
    shell.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
      if (errors.includes(FILLED)) setTimeout(() => shell.stdout.resume(), readAfterMs);
    });
    shell.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    await new Promise((resolve) => shell.once('close', resolve));
    return { output: Buffer.concat(output).toString('utf8'), errors: errors.replace(FILLED, '') };
  }

  it('keeps every line, in order, through a slow non-blocking pipe (EAGAIN, partial writes)', async () => {
    const { output, errors } = await child(
      `process.stdout; // Node makes a pipe it wraps non-blocking: writes to a full one fail with EAGAIN
const sink = new LineSink({ flushEveryMs: 5 });
for (let i = 0; i < 30000; i++) {
  sink.write(LINE(i));
  if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
}
filled();
await new Promise((resolve, reject) => sink.flush((error) => (error ? reject(error) : resolve())));
writeSync(2, 'flushed'); // the flush kept the process alive until it was done`,
      300,
    );
    expect(errors).toBe('flushed');
    expect(output === linesUpTo(30000).join('')).toBe(true);
  }, 30_000);

  it('writes what is buffered synchronously when the process exits at once', async () => {
    const { output, errors } = await child(
      `const sink = new LineSink();
for (let i = 0; i < 5000; i++) sink.write(LINE(i));
process.exit(0);`,
    );
    expect(errors).toBe('');
    expect(output === linesUpTo(5000).join('')).toBe(true);
  }, 30_000);

  it('writes at exit to a full non-blocking pipe too, waiting for the reader', async () => {
    const { output, errors } = await child(
      `process.stdout;
const sink = new LineSink({ chunkBytes: 4096 });
for (let i = 0; i < 5000; i++) sink.write(LINE(i));
filled();
process.exit(0);`,
      300,
    );
    expect(errors).toBe('');
    expect(output === linesUpTo(5000).join('')).toBe(true);
  }, 30_000);

  it('survives a reader that went away (EPIPE): flush rejects, logging goes on', async () => {
    const { output, errors } = await child(
      `const sink = new LineSink();
const flushed = () => new Promise((resolve) => sink.flush((error) => resolve(error?.code ?? 'ok')));
for (let i = 0; i < 1000; i++) sink.write(LINE(i));
await flushed();
await new Promise((resolve) => setTimeout(resolve, 300)); // head has read its fill and is gone
for (let i = 0; i < 1000; i++) sink.write(LINE(i));
const first = await flushed();
sink.write(LINE(0));
writeSync(2, first + ' ' + (await flushed()));`,
      0,
      'head -c 1000',
    );
    expect(linesUpTo(1000).join('').startsWith(output.slice(0, 500))).toBe(true);
    expect(errors).toBe('EPIPE EPIPE');
  }, 30_000);
});
