import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { createRedactor } from '../observability/redact.js';
import { createRequestStats } from '../observability/stats.js';
import { adapterFor, defaultBaseUrl } from '../providers/index.js';
import { createRegistry } from '../registry/registry.js';
import { createMemoryLedger } from '../storage/memory/memory-ledger.js';
import { createExecutionRuntime, type ExecutionRuntime } from './execution-runtime.js';
import { assembleGateway, type Gateway } from './gateway.js';
import { createLiveGateway } from './live-gateway.js';

const parse = (price: number): Config =>
  parseConfigObject({
    storage: { url: 'memory://' },
    providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'k' } },
    models: {
      m: { pricing: { input_per_mtok: price, output_per_mtok: price }, deployments: [{ provider: 'p' }] },
    },
  }).config;

const redactor = createRedactor({ secrets: [] });
const logger = createLogger({ level: 'silent', redactor });
const metrics = createMetrics({ enabled: false });

function assemble(config: Config, runtime: ExecutionRuntime): Gateway {
  const { registry } = createRegistry(config, { adapterFor, defaultBaseUrl });
  return assembleGateway({
    config,
    registry,
    ledger: createMemoryLedger(),
    metrics,
    stats: createRequestStats(),
    logger,
    redactor,
    runtime,
  });
}

describe('live gateway', () => {
  it('offers everything an assembled gateway has, and follows each swap', async () => {
    const runtime = createExecutionRuntime(parse(1), { metrics, logger });
    const first = assemble(parse(1), runtime);
    const second = assemble(parse(2), runtime);
    const live = createLiveGateway(first);
    // A service added to the gateway must be added to the live one too, or reloads would hide it.
    expect(Object.keys(first).filter((key) => !(key in live.gateway))).toEqual([]);
    expect(live.gateway.config).toBe(first.config);
    expect(live.swap(second)).toBe(true);
    expect(live.current()).toBe(second);
    expect(live.gateway.config).toBe(second.config);
    expect(live.gateway.registry).toBe(second.registry);
    expect(live.gateway.router).toBe(second.router);
    expect(live.gateway.registry.get('m')?.prices.inputPerMTok).toBe(2);
    // Both assembled gateways share the breakers: state survives the swap.
    runtime.breakers.get('m@p').force('open', 'test');
    expect(live.gateway.circuits()).toEqual([expect.objectContaining({ deployment: 'm@p', state: 'open' })]);
    await live.gateway.close();
    await runtime.close();
  });

  it('closes the replaced gateway in the background, and waits for it on close', async () => {
    const runtime = createExecutionRuntime(parse(1), { metrics, logger });
    const order: string[] = [];
    const real = assemble(parse(1), runtime);
    const slow: Gateway = {
      ...real,
      close: async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await real.close();
        order.push('replaced closed');
      },
    };
    const live = createLiveGateway(slow, {
      beforeClose: async () => {
        order.push('before');
      },
      afterClose: async () => {
        order.push('after');
      },
    });
    const next = assemble(parse(2), runtime);
    live.swap(next);
    expect(order).toEqual([]); // not waited for by the swap
    await live.gateway.close();
    expect(order).toEqual(['before', 'replaced closed', 'after']);
    // Once closing began, nothing is swapped in; what was offered is closed.
    const late = assemble(parse(3), runtime);
    let lateClosed = false;
    const closeLate = async () => {
      lateClosed = true;
    };
    expect(live.swap({ ...late, close: closeLate })).toBe(false);
    expect(live.current()).toBe(next);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lateClosed).toBe(true);
    await runtime.close();
  });
});
