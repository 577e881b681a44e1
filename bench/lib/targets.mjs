/**
 * @module bench/lib/targets
 * Starts the benchmark's servers, each in its own process: the mock upstream (on the load
 * core), and on the gateway core the bare proxy, Switchyard (the built CLI, `serve`) and, when
 * installed, Portkey's gateway. Each started server is described as a target: where to send a
 * chat completion, with which headers and which `model`.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portkeyHeaders } from './portkey.mjs';
import { freePort, GATEWAY_CORE, LOAD_CORE, listeningUrl, startServer } from './processes.mjs';
import { createBenchKey, ROUTE, switchyardConfigYaml, UPSTREAM_KEY } from './switchyard-config.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
export const CHAT_PATH = '/v1/chat/completions';
export const PROMPT = 'What is 2+2?';
/** Scenario D asks for prose, which streams token by token (arithmetic is answered in one piece). */
export const STREAM_PROMPT = 'Write a few sentences about lighthouses.';

export const LABELS = {
  upstream: 'mock upstream (direct)',
  bare: 'bare proxy',
  switchyard: 'Switchyard',
  portkey: 'Portkey',
};

/** The environment of a clean machine: no provider keys, no Switchyard settings. */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/API_KEY|TOKEN|SECRET|^SWITCHYARD_|^NODE_OPTIONS$/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/** A small chat completion body, as bytes, for `model`. */
export function chatBody(model, { stream = false, prompt = PROMPT } = {}) {
  const body = { model, messages: [{ role: 'user', content: prompt }] };
  if (stream) body.stream = true;
  return JSON.stringify(body);
}

/** The mock upstream, on the load core. `profile`: latencyMs, ttftMs, tokensPerS, outputTokens. */
export async function startMock(profile = {}) {
  const args = [join(ROOT, 'bench/workers/mock-upstream.mjs')];
  if (profile.latencyMs) args.push('--latency-ms', String(profile.latencyMs));
  if (profile.ttftMs) args.push('--ttft-ms', String(profile.ttftMs));
  if (profile.tokensPerS) args.push('--tokens-per-s', String(profile.tokensPerS));
  if (profile.outputTokens) args.push('--output-tokens', String(profile.outputTokens));
  const server = await startServer({ name: 'mock upstream', core: LOAD_CORE, args, ready: listeningUrl });
  return {
    server,
    target: {
      id: 'upstream',
      url: server.url,
      headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
      model: 'gpt-4o-mini',
      pid: server.pid,
    },
  };
}

export async function startBareProxy(upstreamUrl) {
  const server = await startServer({
    name: 'bare proxy',
    core: GATEWAY_CORE,
    args: [join(ROOT, 'bench/bare-proxy.mjs'), '--upstream', upstreamUrl],
    ready: listeningUrl,
  });
  return {
    server,
    target: {
      id: 'bare',
      url: server.url,
      headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
      model: 'gpt-4o-mini',
      pid: server.pid,
    },
  };
}

/**
 * Switchyard as a user runs it (`switchyard serve -c FILE`), from the built dist/, with the
 * bench config. `nodeArgs` go before the script (e.g. `--cpu-prof`).
 */
export async function startSwitchyard(upstreamUrl, workDir, { nodeArgs = [], name = 'switchyard' } = {}) {
  const configPath = join(workDir, `${name}.yaml`);
  writeFileSync(
    configPath,
    switchyardConfigYaml({ upstreamUrl, ledgerPath: join(workDir, `${name}-ledger.db`) }),
  );
  const server = await startServer({
    name: 'Switchyard',
    core: GATEWAY_CORE,
    args: [...nodeArgs, join(ROOT, 'bin/switchyard.js'), 'serve', '-c', configPath, '--port', '0'],
    cwd: workDir,
    env: cleanEnv(),
    ready: (output) => (output.includes('Switchyard listening on') ? listeningUrl(output) : undefined),
  });
  const key = await createBenchKey(server.url);
  return {
    server,
    keyNote: key.note,
    virtualKey: key.virtualKey,
    target: {
      id: 'switchyard',
      url: server.url,
      headers: { authorization: `Bearer ${key.key}` },
      model: ROUTE,
      pid: server.pid,
    },
  };
}

/** Portkey's gateway (`entry` from locatePortkey), told per request to call the mock. */
export async function startPortkey(entry, upstreamUrl) {
  const port = await freePort();
  const server = await startServer({
    name: 'Portkey',
    core: GATEWAY_CORE,
    args: [entry, `--port=${port}`, '--headless'],
    env: cleanEnv({ NODE_ENV: 'production' }),
    probeUrl: `http://127.0.0.1:${port}/`,
  });
  return {
    server,
    target: {
      id: 'portkey',
      url: server.url.replace(/\/$/, ''),
      headers: portkeyHeaders(upstreamUrl, UPSTREAM_KEY),
      model: 'gpt-4o-mini',
      pid: server.pid,
    },
  };
}

/** Sends one chat completion to a target and throws unless it answers 200 with a choice. */
export async function checkTarget(target, { stream = false, prompt } = {}) {
  const response = await fetch(`${target.url}${CHAT_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: chatBody(target.model, { stream, ...(prompt ? { prompt } : {}) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200 || !text.includes(stream ? 'data:' : '"choices"')) {
    throw new Error(`${LABELS[target.id]} answered ${response.status}: ${text.slice(0, 300)}`);
  }
}
