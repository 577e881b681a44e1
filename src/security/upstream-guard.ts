/**
 * @module security/upstream-guard
 * Decides whether a request may send its call to the base URL it names (`switchyard.api_base`)
 * and, when it may, pins where the connection goes. In order, before any connection: the
 * feature is on (the allow-list is not empty); the URL is http(s) without credentials; an
 * allow-list entry matches it; the plan has a model served by an OpenAI-compatible provider (the
 * only protocol whose base URL means the same on any server); the host name resolves; and every
 * address it resolves to is public, unless the entry says `allow_private`. The checked addresses
 * travel with the request and the upstream client connects to them and nothing else, so a DNS
 * answer that changes between the check and the connection (rebinding) changes nothing.
 * Refusals are INVALID_REQUEST naming `switchyard.api_base`; none of them has touched the network.
 */

import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ProviderType } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { Deployment, Registry } from '../registry/registry.js';
import type { RoutePlan } from '../routing/plan.js';
import { nonPublicReason } from './address-ranges.js';
import {
  type AllowEntryInput,
  compileAllowlist,
  matchAllowlist,
  parseUpstreamUrl,
  type UpstreamUrl,
} from './upstream-allowlist.js';

export const API_BASE_FIELD = 'switchyard.api_base';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** A request-chosen upstream that passed every check: where its attempts go, and to which addresses. */
export interface UpstreamOverride {
  /** Replaces the deployment's base URL (no trailing slash). */
  baseUrl: string;
  /** The addresses that were checked; the only ones connected to. */
  addresses: readonly ResolvedAddress[];
}

export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export interface UpstreamGuardOptions {
  allowlist: readonly AllowEntryInput[];
  registry: Registry;
  /** Resolves a host name to all its addresses (default: the system resolver). */
  lookup?: HostLookup;
  /** Longest a resolution may take (default 5 s). */
  resolveTimeoutMs?: number;
}

export interface UpstreamGuard {
  /** True when the allow-list names at least one upstream. */
  readonly enabled: boolean;
  /** Checks `apiBase` for a request served by `plan`; throws a GatewayError when it may not be used. */
  check(apiBase: string, plan: RoutePlan): Promise<UpstreamOverride>;
}

/** Provider types speaking the OpenAI protocol to a configurable server (not the in-process simulator). */
const OVERRIDABLE: ReadonlySet<ProviderType> = new Set(['openai', 'azure', 'github', 'huggingface']);

/** Whether a deployment's base URL may be replaced by a request-chosen one. */
export function acceptsUpstreamOverride(deployment: Deployment): boolean {
  return OVERRIDABLE.has(deployment.providerType);
}

function refuse(message: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `${API_BASE_FIELD}: ${message}`, {
    details: { field: API_BASE_FIELD },
  });
}

const systemLookup: HostLookup = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export function createUpstreamGuard(options: UpstreamGuardOptions): UpstreamGuard {
  const entries = compileAllowlist(options.allowlist);
  const lookup = options.lookup ?? systemLookup;
  const resolveTimeoutMs = options.resolveTimeoutMs ?? 5_000;
  const { registry } = options;

  function servedByOverridable(plan: RoutePlan): boolean {
    const steps = plan.kind === 'sequence' ? plan.attempts : plan.members;
    return steps.some((step) => registry.get(step.model)?.deployments.some(acceptsUpstreamOverride));
  }

  async function resolve(upstream: UpstreamUrl): Promise<ResolvedAddress[]> {
    const family = isIP(upstream.host);
    if (family !== 0) return [{ address: upstream.host, family: family === 6 ? 6 : 4 }];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new GatewayError('TIMEOUT', `${API_BASE_FIELD}: resolving the host took too long`, {
              details: { field: API_BASE_FIELD },
            }),
          ),
        resolveTimeoutMs,
      );
      timer.unref();
    });
    try {
      return await Promise.race([lookup(upstream.host), timeout]);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') throw refuse('the host does not resolve');
      throw new GatewayError('SERVICE_UNAVAILABLE', `${API_BASE_FIELD}: the host could not be resolved`, {
        details: { field: API_BASE_FIELD },
      });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    enabled: entries.length > 0,
    async check(apiBase, plan) {
      if (entries.length === 0) {
        throw refuse('request-supplied upstream URLs are not enabled (security.upstream_allowlist is empty)');
      }
      const upstream = parseUpstreamUrl(apiBase);
      if (typeof upstream === 'string') throw refuse(upstream);
      const entry = matchAllowlist(upstream, entries);
      if (!entry) throw refuse('this upstream is not in security.upstream_allowlist');
      if (!servedByOverridable(plan)) {
        throw refuse('the requested model has no deployment on an OpenAI-compatible provider');
      }
      const addresses = await resolve(upstream);
      if (addresses.length === 0) throw refuse('the host does not resolve');
      if (!entry.allowPrivate) {
        for (const { address } of addresses) {
          // The reason stays in the gateway: the client learns no more about internal DNS than "no".
          if (nonPublicReason(address) !== undefined) {
            throw refuse('the host resolves to an address that is not public');
          }
        }
      }
      const href = upstream.url.href;
      return { baseUrl: href.endsWith('/') ? href.slice(0, -1) : href, addresses };
    },
  };
}
