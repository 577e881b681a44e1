/**
 * @module bench/lib/cpu-profile
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and says where the time went: self time per
 * function, inclusive time per project function, and self time per area (a src/ folder, a
 * package, Node internals, GC, idle). Positions in dist/ are mapped back to src/ through the
 * build's source maps. Only samples inside the load window count, so start-up and shut-down do
 * not dilute the picture.
 */

import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const sourceMaps = new Map();

function sourceMapFor(file) {
  if (!sourceMaps.has(file)) {
    let map;
    try {
      if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = undefined;
    }
    sourceMaps.set(file, map);
  }
  return sourceMaps.get(file);
}

/** `file:line` of a call frame, mapped from dist/*.js to src/*.ts where a source map says so. */
function position(root, frame) {
  const url = frame.url;
  if (!url) return '';
  if (!url.startsWith('file://')) return url;
  const file = fileURLToPath(url);
  const line = frame.lineNumber + 1;
  if (file.startsWith(`${root}/dist/`)) {
    const entry = sourceMapFor(file)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry?.originalSource) {
      const original = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : entry.originalSource;
      const path = original.startsWith('/')
        ? relative(root, original)
        : `src/${original.replace(/^(\.\.\/)+(src\/)?/, '')}`;
      return `${path}:${entry.originalLine + 1}`;
    }
  }
  const modules = file.lastIndexOf('/node_modules/');
  return `${modules === -1 ? relative(root, file) : file.slice(modules + 1)}:${line}`;
}

/** Where a frame belongs: `src/http`, `undici`, `node:internal`, `(garbage collector)`, … */
function area(frame, where) {
  const name = frame.functionName;
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') return name;
  if (where.startsWith('src/')) return where.split('/').slice(0, 2).join('/');
  if (where.startsWith('bench/')) return 'bench';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (modules) return modules[1];
  if (where.startsWith('node:')) return 'node (JS internals)';
  if (where === '') return '(native / V8 builtins)';
  return where.split(':')[0];
}

/**
 * Analyses `profile`, counting samples whose time falls in [fromUs, toUs] (V8 monotonic
 * microseconds, the clock of process.hrtime); without a window, every sample.
 */
export function analyseProfile(profile, { root, fromUs, toUs }) {
  const nodes = new Map();
  const parent = new Map();
  for (const node of profile.nodes) {
    nodes.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const info = new Map();
  const describe = (id) => {
    let entry = info.get(id);
    if (!entry) {
      const frame = nodes.get(id).callFrame;
      const where = position(root, frame);
      const name = frame.functionName || '(anonymous)';
      entry = { key: `${name}\t${where}`, name, where, area: area(frame, where) };
      info.set(id, entry);
    }
    return entry;
  };

  let time = profile.startTime;
  const inWindow = [];
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    if (fromUs === undefined || (time >= fromUs && time <= toUs)) inWindow.push(profile.samples[i]);
  }
  const windowed = fromUs !== undefined && inWindow.length > 0;
  const samples = windowed ? inWindow : profile.samples;

  const self = new Map();
  const inclusive = new Map();
  const areas = new Map();
  let idle = 0;
  for (const id of samples) {
    const entry = describe(id);
    if (entry.name === '(idle)') idle++;
    self.set(entry.key, (self.get(entry.key) ?? 0) + 1);
    areas.set(entry.area, (areas.get(entry.area) ?? 0) + 1);
    // Inclusive: every distinct function on the stack once, so recursion is not counted twice.
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = describe(at).key;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + 1);
    }
  }
  const total = samples.length;
  const busy = total - idle;
  const rank = (map, filter = () => true) =>
    [...map.entries()]
      .filter(([key]) => filter(key))
      .sort((a, b) => b[1] - a[1])
      .map(([key, count]) => {
        const [name, where] = key.split('\t');
        return { key, name, where, samples: count, percentOfBusy: busy === 0 ? 0 : (100 * count) / busy };
      });
  const projectKey = (key) => key.includes('\tsrc/');
  return {
    windowed,
    totalSamples: total,
    busyPercent: total === 0 ? 0 : (100 * busy) / total,
    self: rank(self, (key) => !key.startsWith('(idle)\t')),
    inclusiveProject: rank(inclusive, projectKey),
    areas: rank(areas, (key) => key !== '(idle)'),
  };
}

export function renderAnalysis(analysis, { top, title }) {
  const lines = [];
  const pct = (n) => `${n.toFixed(1)}%`;
  lines.push(`## ${title}`);
  lines.push('');
  lines.push(
    `${analysis.totalSamples.toLocaleString('en-US')} samples${analysis.windowed ? ' in the load window' : ' (whole process: the load window could not be matched)'}; the process was busy ${pct(analysis.busyPercent)} of the time. Percentages below are of busy (non-idle) samples.`,
  );
  lines.push('');
  lines.push('### Self time by area');
  lines.push('');
  lines.push('| Area | % of busy |');
  lines.push('| --- | ---: |');
  for (const row of analysis.areas.slice(0, 20)) lines.push(`| ${row.key} | ${pct(row.percentOfBusy)} |`);
  lines.push('');
  lines.push(`### Top ${top} functions by self time`);
  lines.push('');
  lines.push('| % of busy | Function | Where |');
  lines.push('| ---: | --- | --- |');
  for (const row of analysis.self.slice(0, top)) {
    lines.push(`| ${pct(row.percentOfBusy)} | \`${row.name}\` | ${row.where || '(native)'} |`);
  }
  lines.push('');
  lines.push(`### Top ${top} project functions by inclusive time (self + callees)`);
  lines.push('');
  lines.push('| % of busy | Function | Where |');
  lines.push('| ---: | --- | --- |');
  for (const row of analysis.inclusiveProject.slice(0, top)) {
    lines.push(`| ${pct(row.percentOfBusy)} | \`${row.name}\` | ${row.where} |`);
  }
  lines.push('');
  return lines.join('\n');
}
