/**
 * @module http/routes/admin-config
 * `POST /admin/config/reload` (admin only): reads the config file again and, when it is valid,
 * switches to it at once — requests in flight finish on the configuration they started with —
 * and tells the other replicas to do the same. A bad file is refused with 400 and one line per
 * problem, naming its path; the running configuration stays. Settings that only take effect at
 * start are listed under `restart_required`.
 */

import { GatewayError } from '../../core/errors.js';
import { reloaderOf } from '../../gateway/config-reloader.js';
import type { HttpContext } from '../context.js';
import { sendJson } from '../respond.js';

export async function reloadConfig(http: HttpContext): Promise<void> {
  // The request body, if any, says nothing: the file is the configuration.
  http.req.resume();
  const reloader = reloaderOf(http.gateway);
  if (reloader === undefined)
    throw new GatewayError('NOT_FOUND', 'this gateway cannot reload its configuration');
  const outcome = await reloader.reload('admin');
  sendJson(http.res, 200, {
    reloaded: outcome.reloaded,
    version: outcome.version,
    digest: outcome.digest,
    changed: outcome.changed,
    restart_required: outcome.restartRequired,
    warnings: outcome.warnings,
  });
}
