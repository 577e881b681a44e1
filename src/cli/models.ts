/**
 * @module cli/models
 * `switchyard models [--json]`: what this configuration serves — tier, status, provider,
 * prices per million tokens, quality and context window.
 */

import { createPriceCatalogue } from '../accounting/price-catalogue.js';
import { describeModel } from '../http/routes/models.js';
import { adapterFor, defaultBaseUrl } from '../providers/index.js';
import { createRegistry } from '../registry/registry.js';
import { loadOrExit } from './load.js';
import { renderTable } from './table.js';

export function modelsCommand(options: { json?: boolean; config?: string }): void {
  const source = loadOrExit(options.config);
  const catalogue = createPriceCatalogue();
  const { registry } = createRegistry(source.config, {
    adapterFor,
    defaultBaseUrl,
    // Listing needs no running simulator: any URL marks the deployment as usable.
    simulatorUrl: () => 'http://127.0.0.1:0/v1',
    lookupPrices: (model) => catalogue.lookup(model),
  });
  const models = [...registry.models.values()].map(describeModel);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ source: source.source, models }, null, 2)}\n`);
    return;
  }
  const simulated = new Set(source.simulated);
  const rows = models.map((m) => [
    m.name,
    m.tier,
    m.status === 'available' ? (simulated.has(m.name) ? 'simulated' : 'available') : 'unavailable',
    m.provider,
    `$${m.cost.input_per_mtok}`,
    `$${m.cost.output_per_mtok}`,
    m.quality_score.toFixed(2),
    m.context_window === null ? '-' : String(m.context_window),
  ]);
  process.stdout.write(
    `${renderTable(['model', 'tier', 'status', 'provider', 'in $/Mtok', 'out $/Mtok', 'quality', 'context'], rows)}\n`,
  );
  process.stdout.write(`\n${models.length} models from ${source.source}\n`);
}
