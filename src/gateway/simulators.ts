/**
 * @module gateway/simulators
 * The in-process simulators behind `type: simulator` providers. Each is a mock upstream on a
 * loopback port, started with the provider's profile and its deployments' `simulate` settings.
 * A config reload asks for the simulators it needs: an unchanged one is reused; a changed one is
 * started anew beside the old, which keeps serving requests that began before the reload. They
 * all close with the gateway (a simulator is one small listening socket).
 */

import type { Config, SimulatorProfile } from '../config/schema.js';
import type { MockUpstream } from '../mock-upstream/server.js';

export interface SimulatorPool {
  /** Base URLs (with `/v1`) of the simulators `config` names, by provider name; starts those missing. */
  urlsFor(config: Config): Promise<ReadonlyMap<string, string>>;
  close(): Promise<void>;
}

export function createSimulatorPool(host = '127.0.0.1'): SimulatorPool {
  // By provider name and settings: what identifies a simulator that can be reused as it is.
  const running = new Map<string, MockUpstream>();
  return {
    async urlsFor(config) {
      const urls = new Map<string, string>();
      for (const [name, provider] of Object.entries(config.providers)) {
        if (provider.type !== 'simulator') continue;
        const models: Record<string, Partial<SimulatorProfile>> = {};
        for (const [modelName, model] of Object.entries(config.models)) {
          for (const deployment of model.deployments ?? []) {
            if (deployment.provider === name && deployment.simulate) {
              models[deployment.model ?? modelName] = deployment.simulate;
            }
          }
        }
        const identity = JSON.stringify([name, provider.profile, models]);
        let simulator = running.get(identity);
        if (simulator === undefined) {
          // Loaded only by configs that simulate: the mock upstream is sizeable, and most never need it.
          const { startMockUpstream } = await import('../mock-upstream/server.js');
          simulator = await startMockUpstream({
            host,
            port: 0,
            profile: provider.profile,
            models,
            record: false,
          });
          running.set(identity, simulator);
        }
        urls.set(name, `${simulator.url}/v1`);
      }
      return urls;
    },
    async close() {
      await Promise.all([...running.values()].map((simulator) => simulator.close()));
      running.clear();
    },
  };
}
