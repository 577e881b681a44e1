/**
 * The deployment files in deploy/, checked as far as this machine allows (no Docker engine, no
 * cluster): every YAML and JSON file parses; the Kubernetes objects carry what a cluster needs
 * and point at each other; both switchyard.yaml files pass the gateway's own config loader;
 * compose's mounts and build context exist; the Dockerfile builds in stages and runs as a
 * non-root user with a health check; and every metric the Grafana dashboard queries is one a
 * real gateway exports after real traffic.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfigText } from '../src/config/load.js';
import { type Harness, startHarness } from './helpers/harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEPLOY = path.join(ROOT, 'deploy');

type Doc = Record<string, unknown>;

function filesUnder(dir: string, suffixes: readonly string[]): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => suffixes.some((suffix) => name.endsWith(suffix)))
    .map((name) => path.join(dir, name))
    .sort();
}

/** Every document of a YAML file; compose's `<<:` merge keys are YAML 1.1, so they are on. */
function yamlDocs(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    expect(doc.errors, `${file}: ${doc.errors.map((e) => e.message).join('; ')}`).toEqual([]);
  }
  return list.map((doc) => doc.toJS() as Doc).filter((doc) => doc !== null);
}

const at = (value: unknown, ...keys: (string | number)[]): unknown => {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
};

const ENV = {
  SWITCHYARD_MASTER_KEY: 'sk-master-test-0123456789abcdef',
  DATABASE_URL: 'postgres://switchyard:pw@postgres:5432/switchyard',
  REDIS_URL: 'redis://redis:6379',
  OPENAI_API_KEY: 'sk-openai-test',
  ANTHROPIC_API_KEY: 'sk-ant-test',
};

/** A switchyard.yaml as the gateway would load it, with and without the optional variables. */
function checkGatewayConfig(text: string, source: string): void {
  for (const name of ['SWITCHYARD_MASTER_KEY', 'DATABASE_URL', 'OPENAI_API_KEY']) {
    const reference = `\${${name}}`;
    expect(text, `${source} takes ${reference} from the environment`).toContain(reference);
  }
  const { config } = parseConfigText(text, { env: ENV, source });
  expect(config.storage.url).toBe(ENV.DATABASE_URL);
  expect(config.storage.redis_url).toBe(ENV.REDIS_URL);
  expect(config.auth.master_key).toBe(ENV.SWITCHYARD_MASTER_KEY);
  expect(config.server.host).toBe('0.0.0.0');
  expect(config.server.port).toBe(4000);
  // Without provider keys it still loads (those models are then unavailable, not an error).
  const { DATABASE_URL, REDIS_URL } = ENV;
  expect(() => parseConfigText(text, { env: { DATABASE_URL, REDIS_URL }, source })).not.toThrow();
}

describe('deploy/: every file parses', () => {
  it('parses every YAML file', () => {
    const files = filesUnder(DEPLOY, ['.yaml', '.yml']);
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const file of files) expect(yamlDocs(file).length, file).toBeGreaterThan(0);
  });

  it('parses every JSON file', () => {
    const files = filesUnder(DEPLOY, ['.json']);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(() => JSON.parse(readFileSync(file, 'utf8')), file).not.toThrow();
  });
});

describe('deploy/k8s', () => {
  const K8S = path.join(DEPLOY, 'k8s');
  const objects = filesUnder(K8S, ['.yaml'])
    .filter((file) => !file.endsWith('kustomization.yaml'))
    .flatMap((file) => yamlDocs(file).map((doc) => ({ file, doc })));
  const find = (kind: string) => {
    const found = objects.filter((o) => o.doc.kind === kind).map((o) => o.doc);
    expect(found, `one ${kind}`).toHaveLength(1);
    return found[0] as Doc;
  };

  it('gives every object an apiVersion, a kind and a name', () => {
    expect(objects.map((o) => o.doc.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]);
    for (const { file, doc } of objects) {
      expect(typeof doc.apiVersion, file).toBe('string');
      expect(typeof doc.kind, file).toBe('string');
      expect(typeof at(doc, 'metadata', 'name'), file).toBe('string');
    }
  });

  it('gives the Deployment probes on /health, resources, a non-root user and its volumes', () => {
    const deployment = find('Deployment');
    expect(deployment.apiVersion).toBe('apps/v1');
    const labels = at(deployment, 'spec', 'template', 'metadata', 'labels') as Record<string, string>;
    const selector = at(deployment, 'spec', 'selector', 'matchLabels') as Record<string, string>;
    expect(labels).toMatchObject(selector);
    const pod = at(deployment, 'spec', 'template', 'spec') as Doc;
    const containers = pod.containers as Doc[];
    expect(containers).toHaveLength(1);
    const container = containers[0] as Doc;
    const ports = container.ports as Array<{ name: string; containerPort: number }>;
    expect(ports).toContainEqual(expect.objectContaining({ name: 'http', containerPort: 4000 }));
    for (const probe of ['livenessProbe', 'readinessProbe'] as const) {
      expect(at(container, probe, 'httpGet', 'path'), probe).toBe('/health');
      expect(['http', 4000], probe).toContain(at(container, probe, 'httpGet', 'port'));
    }
    expect(at(container, 'resources', 'requests', 'cpu')).toBeTruthy();
    expect(at(container, 'resources', 'requests', 'memory')).toBeTruthy();
    expect(at(container, 'resources', 'limits', 'memory')).toBeTruthy();
    expect(at(pod, 'securityContext', 'runAsNonRoot')).toBe(true);
    expect(at(pod, 'securityContext', 'runAsUser')).not.toBe(0);
    const args = container.args as string[];
    expect(args.slice(0, 3)).toEqual(['serve', '--host', '0.0.0.0']);
    // Every mount has a volume; the config comes from the ConfigMap, the secrets from the Secret.
    const volumes = new Map((pod.volumes as Doc[]).map((v) => [v.name as string, v]));
    const mounts = container.volumeMounts as Array<{ name: string; mountPath: string }>;
    for (const mount of mounts) expect(volumes.has(mount.name), mount.name).toBe(true);
    expect(mounts.map((m) => m.mountPath)).toContain('/app/switchyard-spool');
    const configMount = mounts.find((m) => at(volumes.get(m.name), 'configMap') !== undefined);
    expect(args).toContain(`${configMount?.mountPath}/switchyard.yaml`);
    expect(at(volumes.get(configMount?.name ?? ''), 'configMap', 'name')).toBe(
      at(find('ConfigMap'), 'metadata', 'name'),
    );
    expect(at(container, 'envFrom', 0, 'secretRef', 'name')).toBe(at(find('Secret'), 'metadata', 'name'));
  });

  it('points the Service, HPA and PDB at the Deployment', () => {
    const deployment = find('Deployment');
    const labels = at(deployment, 'spec', 'template', 'metadata', 'labels') as Record<string, string>;
    const service = find('Service');
    expect(labels).toMatchObject(at(service, 'spec', 'selector') as Record<string, string>);
    expect(at(service, 'spec', 'ports', 0, 'targetPort')).toBe('http');
    const hpa = find('HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(at(hpa, 'spec', 'scaleTargetRef')).toMatchObject({
      kind: 'Deployment',
      name: at(deployment, 'metadata', 'name'),
    });
    expect(Number(at(hpa, 'spec', 'minReplicas'))).toBeLessThanOrEqual(
      Number(at(hpa, 'spec', 'maxReplicas')),
    );
    const pdb = find('PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(labels).toMatchObject(at(pdb, 'spec', 'selector', 'matchLabels') as Record<string, string>);
  });

  it('lets in port 4000 and out DNS, Redis, PostgreSQL and HTTPS only', () => {
    const policy = find('NetworkPolicy');
    expect(at(policy, 'spec', 'policyTypes')).toEqual(['Ingress', 'Egress']);
    const portsOf = (rules: unknown) =>
      (rules as Doc[]).flatMap((rule) => ((rule.ports as Doc[] | undefined) ?? []).map((p) => p.port));
    expect(portsOf(at(policy, 'spec', 'ingress'))).toEqual([4000]);
    expect(new Set(portsOf(at(policy, 'spec', 'egress')))).toEqual(new Set([53, 6379, 5432, 443]));
  });

  it('holds no real secret in the Secret template', () => {
    const secret = find('Secret');
    const values = Object.values(secret.stringData as Record<string, string>);
    expect(values.length).toBeGreaterThanOrEqual(5);
    for (const value of values) expect(value === '' || value.includes('REPLACE_ME'), value).toBe(true);
  });

  it('ships a ConfigMap switchyard.yaml that the gateway loads, secrets by environment reference', () => {
    const text = at(find('ConfigMap'), 'data', 'switchyard.yaml');
    expect(typeof text).toBe('string');
    checkGatewayConfig(text as string, 'k8s/configmap.yaml');
  });

  it('applies every manifest but the Secret template with kustomize', () => {
    const [kustomization] = yamlDocs(path.join(K8S, 'kustomization.yaml'));
    const resources = kustomization?.resources as string[];
    for (const resource of resources) expect(existsSync(path.join(K8S, resource)), resource).toBe(true);
    expect(resources).not.toContain('secret.example.yaml');
    expect(resources).toHaveLength(objects.length - 1);
  });
});

describe('deploy/compose.yaml', () => {
  const [compose] = yamlDocs(path.join(DEPLOY, 'compose.yaml'));
  const services = (compose?.services ?? {}) as Record<string, Doc>;
  const replicas = Object.keys(services).filter((name) => name.startsWith('switchyard-'));

  it('runs two gateway replicas, a load balancer, Redis, PostgreSQL, Prometheus and Grafana', () => {
    expect(replicas).toEqual(['switchyard-1', 'switchyard-2']);
    for (const name of ['lb', 'redis', 'postgres', 'prometheus', 'grafana'])
      expect(services).toHaveProperty(name);
    for (const replica of replicas) {
      const service = services[replica] as Doc;
      expect(service.command).toEqual(expect.arrayContaining(['serve', '--host', '0.0.0.0']));
      expect(at(service, 'environment', 'DATABASE_URL')).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(at(service, 'environment', 'REDIS_URL')).toBe('redis://redis:6379');
    }
  });

  it('builds from the repository with deploy/Dockerfile', () => {
    for (const replica of replicas) {
      const context = path.resolve(DEPLOY, at(services[replica], 'build', 'context') as string);
      expect(context).toBe(path.resolve(ROOT));
      expect(existsSync(path.join(context, at(services[replica], 'build', 'dockerfile') as string))).toBe(
        true,
      );
    }
  });

  it('mounts files that exist, and gives each replica its own spool volume', () => {
    const named = new Set(Object.keys((compose?.volumes ?? {}) as Doc));
    const spools: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const volume of (service.volumes as string[] | undefined) ?? []) {
        const [source = '', target] = volume.split(':');
        if (source.startsWith('.'))
          expect(existsSync(path.resolve(DEPLOY, source)), `${name}: ${source}`).toBe(true);
        else expect(named.has(source), `${name}: volume ${source} is declared`).toBe(true);
        if (target === '/app/switchyard-spool') spools.push(source);
      }
      const dependsOn = service.depends_on ?? [];
      for (const dependency of Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn)) {
        expect(services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
      }
    }
    expect(new Set(spools).size).toBe(replicas.length);
  });

  it('balances and scrapes exactly the replicas', () => {
    const nginx = readFileSync(path.join(DEPLOY, 'nginx.conf'), 'utf8');
    const upstreams = [...nginx.matchAll(/^\s*server\s+([\w-]+):4000/gm)].map((m) => m[1]);
    expect(upstreams).toEqual(replicas);
    expect(nginx).toContain('proxy_buffering off');
    const [prometheus] = yamlDocs(path.join(DEPLOY, 'prometheus', 'prometheus.yml'));
    expect(at(prometheus, 'scrape_configs', 0, 'metrics_path')).toBe('/metrics');
    expect(at(prometheus, 'scrape_configs', 0, 'static_configs', 0, 'targets')).toEqual(
      replicas.map((r) => `${r}:4000`),
    );
  });

  it('mounts a switchyard.yaml that the gateway loads', () => {
    checkGatewayConfig(readFileSync(path.join(DEPLOY, 'switchyard.yaml'), 'utf8'), 'deploy/switchyard.yaml');
  });

  it('provisions Grafana with the datasource the dashboard uses', () => {
    const [datasources] = yamlDocs(path.join(DEPLOY, 'grafana/provisioning/datasources/prometheus.yaml'));
    expect(at(datasources, 'datasources', 0)).toMatchObject({ type: 'prometheus', uid: 'prometheus' });
    const [providers] = yamlDocs(path.join(DEPLOY, 'grafana/provisioning/dashboards/switchyard.yaml'));
    const grafanaVolumes = services.grafana?.volumes as string[];
    const dashboardsPath = at(providers, 'providers', 0, 'options', 'path');
    expect(grafanaVolumes).toContain(`./grafana/dashboards:${dashboardsPath}:ro`);
  });
});

describe('deploy/Dockerfile', () => {
  // Continuation lines joined, comments dropped.
  const lines = readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages = lines.filter((line) => /^FROM\s/i.test(line));
  const runtime = lines.slice(lines.lastIndexOf(stages.at(-1) ?? ''));

  it('builds in a stage with dev dependencies and runs from one with production dependencies', () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/\sAS build$/);
    const build = lines.slice(lines.indexOf(stages[0] ?? ''), lines.indexOf(stages[1] ?? ''));
    expect(build.join('\n')).toMatch(/RUN npm ci\b/);
    expect(build.join('\n')).toMatch(/npm prune --omit=dev/);
    expect(runtime.join('\n')).not.toMatch(/npm (ci|install)/);
    expect(runtime.join('\n')).toContain('COPY --from=build --chown=node:node /app/node_modules');
  });

  it('runs as a non-root user with a health check on /health, port 4000, bound to 0.0.0.0', () => {
    const user = runtime.filter((line) => line.startsWith('USER '));
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/USER\s+(root|0)(\s|:|$)/);
    const healthcheck = runtime.find((line) => line.startsWith('HEALTHCHECK '));
    expect(healthcheck).toContain('http://127.0.0.1:4000/health');
    expect(runtime).toContain('EXPOSE 4000');
    expect(runtime.find((line) => line.startsWith('CMD '))).toContain('"--host", "0.0.0.0"');
  });

  it('copies only paths that exist in the build context', () => {
    const sources = lines
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => {
        const parts = line.split(/\s+/).filter((part) => !part.startsWith('--'));
        return parts.slice(1, -1);
      });
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'src', 'bin', 'web']));
    for (const source of sources) expect(existsSync(path.join(ROOT, source)), source).toBe(true);
  });
});

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/(?<![\w:])\d[\d.]*(e[+-]?\d+)?/gi, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/[A-Za-z_:][\w:]*/g)) {
    const rest = stripped.slice((match.index ?? 0) + match[0].length).trimStart();
    if (rest.startsWith('(') || PROMQL_WORDS.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return names;
}

describe('deploy/grafana dashboard', () => {
  const dashboard = JSON.parse(
    readFileSync(path.join(DEPLOY, 'grafana/dashboards/switchyard.json'), 'utf8'),
  ) as {
    uid: string;
    panels: Array<{
      type: string;
      title: string;
      datasource?: { uid: string };
      targets?: Array<{ expr: string }>;
    }>;
  };
  const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
  const expressions = panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr));
  let h: Harness;
  let scrape = '';

  beforeAll(async () => {
    h = await startHarness();
    const post = (body: unknown) =>
      fetch(`${h.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const messages = (content: string) => [{ role: 'user', content }];
    await (await post({ model: 'gpt-4o-mini', messages: messages('hello') })).text();
    await (await post({ model: 'gpt-4o-mini', messages: messages('stream me'), stream: true })).text();
    await (await post({ model: 'gpt-4o', messages: messages('boom [[mock:fault=http_503]]') })).text();
    scrape = await (await fetch(`${h.url}/metrics`)).text();
  });
  afterAll(() => h.close());

  it('has panels for requests, errors, latency, time to first token, tokens, cost and circuits', () => {
    const titles = panels.map((panel) => panel.title.toLowerCase()).join('\n');
    for (const topic of ['requests', 'error', 'latency', 'first token', 'tokens', 'cost', 'circuit']) {
      expect(titles).toContain(topic);
    }
    for (const panel of panels) expect(panel.datasource?.uid, panel.title).toBe('prometheus');
    expect(expressions.some((e) => e.includes('histogram_quantile(0.99'))).toBe(true);
  });

  it('queries only metrics that a running gateway exports', () => {
    const sampled = new Set(
      scrape
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => line.slice(0, line.search(/[{ ]/))),
    );
    const declared = new Map(
      [...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]),
    );
    const exported = (name: string) => {
      if (sampled.has(name)) return true;
      // A gauge or counter with no series yet (no circuit has changed state in this test).
      if (declared.has(name)) return true;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return base !== name && declared.get(base) === 'histogram';
    };
    const names = new Set(expressions.flatMap(metricNamesIn));
    expect(names.size).toBeGreaterThanOrEqual(10);
    for (const name of names) expect(exported(name), name).toBe(true);
    // The headline series carry real samples after the traffic above.
    for (const name of [
      'switchyard_requests_total',
      'switchyard_tokens_total',
      'switchyard_cost_usd_total',
      'gen_ai_client_operation_duration_seconds_bucket',
      'gen_ai_server_time_to_first_token_seconds_bucket',
    ]) {
      expect(names.has(name), `the dashboard queries ${name}`).toBe(true);
      expect(sampled.has(name), `${name} has samples`).toBe(true);
    }
  });

  it('reads metric names out of PromQL', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, model) (rate(a_bucket{status="x",code=~"b.*"}[$__rate_interval]))) / on (job) b_total * 3600 + 1e-9',
      ),
    ).toEqual(['a_bucket', 'b_total']);
  });
});
