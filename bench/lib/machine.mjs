/**
 * @module bench/lib/machine
 * What the figures were measured on: cores, CPU model, memory, kernel, Node, load average, and
 * the git commit of the code under test. Ratios travel between machines; absolute figures do
 * not, so the report always says where they came from.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

function cpuModel() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

function nproc() {
  const result = spawnSync('nproc', [], { encoding: 'utf8' });
  const n = Number(result.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : availableParallelism();
}

export function describeMachine() {
  return {
    nproc: nproc(),
    cpuModel: cpuModel(),
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${process.platform} ${release()}`,
    node: process.version,
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

export function describeGit(root) {
  const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  const sha = git('rev-parse', '--short', 'HEAD').stdout?.trim() || 'unknown';
  const status = git('status', '--porcelain', '--', 'src', 'bin', 'package.json');
  return { sha, dirty: (status.stdout ?? '').trim() !== '' };
}
