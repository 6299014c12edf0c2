/**
 * The Helm chart (helm/thingspace-kafka-bridge), through the real helm: lint --strict over the defaults and
 * every documented variant, then `helm template` of each with assertions on the rendered objects. The config the
 * chart renders is read back by the bridge's own validation, so chart and bridge cannot drift apart.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isMap, isScalar, parseDocument, parse as parseYaml, type YAMLMap } from 'yaml';
import { parseConfig, parseDedupeConfig, type Config } from '../../../src/config';
import { isRegistrablePort } from '../../../src/thingspace/registrable-ports';
import { createMetrics } from '../../../src/observability';
import { TestPki } from '../../support/tls';
import {
  CHART,
  DEDUPE_NAME,
  FULLNAME,
  ROOT,
  SECRETS_DIR,
  TLS_DIR,
  VARIANTS,
  container,
  helm,
  packageVersion,
  passwordFiles,
  readValues,
  renderedConfig,
  runHelm,
  template,
  templateError,
  validateAs,
  validateWithBridge,
  workload,
  type K8sObject,
  type Rendered,
} from './helm';

// Rendered objects are untyped YAML: the assertions below are their type checks.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return */

/** The bridge's defaults, from its own schema: what the chart must agree with. */
const BRIDGE_DEFAULTS = parseConfig(
  { accounts: [{ name: 'a', username: 'u', password: 'p', services: ['*'] }] },
  { KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://r:8081' },
).config;

const SELECTOR = { 'app.kubernetes.io/name': 'thingspace-kafka-bridge', 'app.kubernetes.io/instance': 'tsb' };

beforeAll(() => {
  // Builds helm on a developer's first run (minutes); under CI it only checks that .ci/run built it.
  helm();
}, 600_000);

function podSpec(rendered: Rendered) {
  return workload(rendered).spec.template.spec;
}

/** A StatefulSet's headless Service (its pods' stable names), selecting its pods; its pods started together. */
function expectHeadlessService(
  rendered: Rendered,
  set: K8sObject,
  selector: Record<string, string>,
): K8sObject {
  expect(set.spec.podManagementPolicy).toBe('Parallel');
  const headless = rendered.one('Service', set.spec.serviceName);
  expect(headless.spec.clusterIP).toBe('None');
  expect(headless.spec.selector).toEqual(selector);
  return headless;
}

/**
 * A StatefulSet's PersistentVolumeClaim per pod: its template, what becomes of the claims on scale-down and
 * uninstall, its mount in `mountedIn`, and fsGroup, which makes the volume writable for the bridge's user.
 */
function expectVolumePerPod(
  set: K8sObject,
  mountedIn: { volumeMounts: unknown[] },
  volume: {
    name: string;
    labels: Record<string, string>;
    storage: string;
    claims: 'Retain' | 'Delete';
    mountPath: string;
  },
): void {
  const { name, labels, storage, claims, mountPath } = volume;
  expect(set.spec.volumeClaimTemplates).toEqual([
    {
      metadata: { name, labels },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'fast-ssd',
        resources: { requests: { storage } },
      },
    },
  ]);
  expect(set.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: claims, whenScaled: claims });
  expect(mountedIn.volumeMounts).toContainEqual({ name, mountPath });
  expect(set.spec.template.spec.securityContext.fsGroup).toBe(1000);
}

function ports(object: K8sObject | { ports: { name: string }[] }): Record<string, number> {
  const list = ('spec' in object ? object.spec.ports : object.ports) as {
    name: string;
    port?: number;
    containerPort?: number;
  }[];
  return Object.fromEntries(list.map((port) => [port.name, port.port ?? port.containerPort!]));
}

/** The helm test pod's environment. */
function testEnv(rendered: Rendered): Record<string, string> {
  const [test] = rendered.one('Pod').spec.containers;
  return Object.fromEntries((test.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
}

/** Runs the helm test pod's script (its `node -e`) here, with only the environment given. */
function runTestScript(rendered: Rendered, env: Record<string, string>) {
  const script = rendered.one('Pod').spec.containers[0].command[2] as string;
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** What every variant must keep: the promises of the chart whatever the values. */
function expectInvariants(rendered: Rendered): void {
  const pod = podSpec(rendered);
  const bridge = container(rendered);

  // Probes: liveness on /healthz (never Kafka), readiness on /readyz, both on the health port (a worker thread
  // that answers however busy the node is): the chart's default config.http.healthPort, plain HTTP under TLS too.
  expect(bridge.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health', scheme: 'HTTP' });
  expect(bridge.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health', scheme: 'HTTP' });

  // Security: non-root, no privilege escalation, read-only root filesystem, every capability dropped.
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  expect(bridge.securityContext).toMatchObject({
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  expect(pod.automountServiceAccountToken).toBe(false);
  expect(pod.enableServiceLinks).toBe(false);

  // Requests and limits for CPU and memory.
  for (const kind of ['requests', 'limits']) {
    expect(Object.keys(bridge.resources[kind]).sort()).toEqual(['cpu', 'memory']);
  }

  // The grace period outlasts the preStop sleep plus the bridge's own drain (http.shutdownGraceMs).
  const config = renderedConfig(rendered);
  const graceMs =
    (config.http as { shutdownGraceMs?: number } | undefined)?.shutdownGraceMs ??
    BRIDGE_DEFAULTS.http.shutdownGraceMs;
  const preStop = bridge.lifecycle?.preStop?.exec?.command ?? [];
  const preStopSeconds = preStop[0] === 'sleep' ? Number(preStop[1]) : 0;
  expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + graceMs / 1000);

  // The config file: the ConfigMap mounted where BRIDGE_CONFIG points, read-only.
  const env = Object.fromEntries(
    (bridge.env as { name: string; value: string }[]).map((e) => [e.name, e.value]),
  );
  const mounts = Object.fromEntries(
    (bridge.volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[]).map((m) => [
      m.name,
      m,
    ]),
  );
  expect(env.BRIDGE_CONFIG).toBe(`${mounts.config!.mountPath}/bridge.yaml`);
  expect(mounts.config!.readOnly).toBe(true);
  const volumes = Object.fromEntries((pod.volumes as { name: string }[]).map((v) => [v.name, v]));
  expect(volumes.config).toEqual({ name: 'config', configMap: { name: FULLNAME } });
  // Config changes roll the pods (the bridge reads its config once).
  expect(workload(rendered).spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);

  // Selectors: Service, PDB and topology spread all pick exactly the workload's pods.
  const podLabels = workload(rendered).spec.template.metadata.labels;
  expect(workload(rendered).spec.selector.matchLabels).toEqual(SELECTOR);
  expect(podLabels).toMatchObject(SELECTOR);
  expect(rendered.one('Service', FULLNAME).spec.selector).toEqual(SELECTOR);
  for (const pdb of rendered.all('PodDisruptionBudget').filter((o) => o.metadata.name === FULLNAME))
    expect(pdb.spec.selector.matchLabels).toEqual(SELECTOR);
  for (const constraint of pod.topologySpreadConstraints ?? []) {
    expect(constraint.labelSelector.matchLabels).toEqual(SELECTOR);
  }

  // Container ports and Service ports agree with the listeners the config opens.
  const listeners: Record<string, number> = {
    http: (config.http as { port?: number } | undefined)?.port ?? BRIDGE_DEFAULTS.http.port,
  };
  for (const [name, options] of Object.entries((config.services ?? {}) as Record<string, any>)) {
    if (options.port !== undefined && options.enabled !== false) {
      listeners[name.toLowerCase().slice(0, 15)] = options.port;
    }
  }
  // The health port is the probes' alone: a container port, never a Service port. The metrics port is the
  // scraper's: on a ClusterIP Service of its own, never beside the callers' ports.
  const { healthPort, metricsPort } = (config.http ?? {}) as { healthPort?: number; metricsPort?: number };
  expect(ports(bridge)).toEqual({
    ...listeners,
    ...(healthPort ? { health: healthPort } : {}),
    ...(metricsPort ? { metrics: metricsPort } : {}),
  });
  const servicePorts = rendered.one('Service', FULLNAME).spec.ports as { name: string; targetPort: string }[];
  expect(servicePorts.map((port) => port.name).sort()).toEqual(Object.keys(listeners).sort());
  for (const port of servicePorts) expect(port.targetPort).toBe(port.name);
  for (const name of Object.keys(listeners)) expect(name.length).toBeLessThanOrEqual(15);
  const metricsServices = rendered.all('Service').filter((s) => s.metadata.name === `${FULLNAME}-metrics`);
  expect(metricsServices.map((service) => service.spec)).toEqual(
    metricsPort
      ? [
          {
            type: 'ClusterIP',
            selector: SELECTOR,
            ports: [{ name: 'metrics', port: metricsPort, targetPort: 'metrics', protocol: 'TCP' }],
          },
        ]
      : [],
  );

  // The TLS Secret (tls.secretName) mounted whole and read-only, where the config's http.tls files are: a subPath
  // mount would never see a renewal.
  const tlsVolume = volumes.tls as { secret: { secretName: string } } | undefined;
  const tls = (config.http as { tls?: Record<string, string> } | undefined)?.tls;
  if (tlsVolume) {
    expect(mounts.tls).toEqual({ name: 'tls', mountPath: TLS_DIR, readOnly: true });
    expect(tls).toMatchObject({ certFile: `${TLS_DIR}/tls.crt`, keyFile: `${TLS_DIR}/tls.key` });
  } else {
    expect(mounts.tls).toBeUndefined();
  }
  for (const mount of bridge.volumeMounts as { subPath?: string }[]) expect(mount.subPath).toBeUndefined();

  // Every passwordFile in the config is a key of the mounted Secret (or of the existing one, unknown here).
  const files = passwordFiles(config);
  if (files.length > 0) {
    expect(mounts.secrets).toMatchObject({ mountPath: SECRETS_DIR, readOnly: true });
    for (const file of files) expect(file.startsWith(`${SECRETS_DIR}/`)).toBe(true);
    const secretName = volumes.secrets && (volumes.secrets as any).secret.secretName;
    const own = rendered.all('Secret').find((secret) => secret.metadata.name === secretName);
    if (own) {
      for (const file of files)
        expect(Object.keys(own.data ?? {})).toContain(file.slice(SECRETS_DIR.length + 1));
    }
  }
}

/**
 * The callback URLs `callbacks sync` registers for this config (src/registration/desired.ts):
 * http.publicBaseUrl + /callbacks/<Service>, on the service's own port where it has a listener. The services on
 * the main listener are summed up as one line.
 */
function registeredUrls(config: Config): string[] {
  const base = new URL(config.http.publicBaseUrl!);
  const urls = new Set<string>();
  for (const [name, options] of Object.entries(config.services)) {
    if (options.port !== undefined && options.enabled) {
      const url = new URL(base);
      url.port = String(options.port);
      urls.add(`${url.origin}/callbacks/${name}`);
    }
  }
  urls.add(`${base.origin}/callbacks/<every other service>`);
  return [...urls].sort();
}

/** The rendered config through the bridge's validation, the Secret's values as the files. */
function bridgeIssues(rendered: Rendered, secretFiles?: Record<string, string>): string[] {
  const own = rendered.all('Secret')[0];
  const files =
    secretFiles ??
    Object.fromEntries(
      Object.entries(own?.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
    );
  return validateWithBridge(renderedConfig(rendered), files).issues.map(
    (issue) => `${issue.path}: ${issue.message}`,
  );
}

describe('helm lint --strict', () => {
  it.each([['defaults', undefined], ...Object.entries(VARIANTS)])('passes with %s', (_name, file) => {
    const result = runHelm(['lint', '--strict', CHART, ...(file ? ['-f', file] : [])]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });
});

describe('the chart as a whole', () => {
  it('tags the image with the bridge version', () => {
    const chart = parseYaml(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    expect(chart.appVersion).toBe(packageVersion());
    expect(container(template()).image).toBe(`thingspace-kafka-bridge:${packageVersion()}`);
    expect(
      container(template([], ['image.repository=r.example/b', 'image.digest=sha256:' + 'a'.repeat(64)]))
        .image,
    ).toBe(`r.example/b:${packageVersion()}@sha256:${'a'.repeat(64)}`);
  });

  it('takes its grace period default from the bridge (http.shutdownGraceMs)', () => {
    const helpers = readFileSync(join(CHART, 'templates', '_helpers.tpl'), 'utf8');
    expect(helpers).toContain(`"shutdownGraceMs" ${BRIDGE_DEFAULTS.http.shutdownGraceMs}`);
    expect(helpers).toContain(`"port" ${BRIDGE_DEFAULTS.http.port}`);
  });

  it('documents every field of values.yaml with a comment', () => {
    // Kubernetes' own structures, passed through as-is, are documented at their top key only.
    const passthrough = new Set([
      'livenessProbe',
      'readinessProbe',
      'resources',
      'podSecurityContext',
      'securityContext',
      'spool.retentionPolicy',
      'dedupe.retentionPolicy',
      'dedupe.resources',
      'dedupe.livenessProbe',
      'dedupe.readinessProbe',
    ]);
    const undocumented: string[] = [];
    const walk = (map: YAMLMap, prefix: string) => {
      for (const [index, pair] of map.items.entries()) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '?';
        const path = prefix ? `${prefix}.${key}` : key;
        // The comment above a map's first key belongs to the map in the yaml package's model.
        const comment =
          (isScalar(pair.key) ? pair.key.commentBefore : undefined) ??
          (index === 0 ? map.commentBefore : undefined);
        if (!comment?.trim()) undocumented.push(path);
        if (isMap(pair.value) && !passthrough.has(path)) walk(pair.value, path);
      }
    };
    const doc = parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    walk(doc.contents as YAMLMap, '');
    expect(undocumented).toEqual([]);
  });

  it('refuses values the schema does not know, and settings that would break its promises', () => {
    expect(templateError([], ['bogus=1'])).toContain("additional properties 'bogus' not allowed");
    expect(templateError([], ['securityContext.readOnlyRootFilesystem=false'])).toContain(
      'readOnlyRootFilesystem',
    );
    expect(templateError([], ['securityContext.allowPrivilegeEscalation=true'])).toContain(
      'allowPrivilegeEscalation',
    );
    expect(templateError([], ['podSecurityContext.runAsNonRoot=false'])).toContain('runAsNonRoot');
    expect(templateError([], ['config.http.port=0'])).toContain('/config/http/port');
    expect(templateError([], ['config.http.metricsPort=0'])).toContain('/config/http/metricsPort');
    expect(templateError([], ['tls.bogus=1'])).toContain("additional properties 'bogus' not allowed");
    expect(templateError([], ['tls.secretName=Not_A_Name'])).toContain('/tls/secretName');
    expect(templateError([], ['spool.dir=relative'])).toContain('/spool/dir');
    expect(templateError([], ['image.digest=latest'])).toContain('/image/digest');
    // A number would reach the Secret in helm's float formatting (1.23456789e+09): strings only.
    expect(templateError([], ['secrets.acme=1234567890'])).toContain(
      "at '/secrets/acme': got number, want string",
    );
  });

  it('refuses a grace period the bridge cannot drain in', () => {
    // Default: 5 s preStop sleep + 25 s shutdownGraceMs.
    expect(templateError([], ['terminationGracePeriodSeconds=30'])).toContain(
      'terminationGracePeriodSeconds 30 must be above',
    );
    expect(podSpec(template([], ['terminationGracePeriodSeconds=31'])).terminationGracePeriodSeconds).toBe(
      31,
    );
    expect(
      podSpec(template([], ['config.http.shutdownGraceMs=60001', 'preStopSleepSeconds=0']))
        .terminationGracePeriodSeconds,
    ).toBe(61 + 5);
  });

  it('refuses an Ingress without TLS, both Secret sources, config.spool and unknown backend ports', () => {
    expect(templateError([], ['ingress.enabled=true'])).toContain('ThingSpace calls https URLs only');
    expect(
      template([], ['ingress.enabled=true', 'ingress.tlsTerminatedUpstream=true']).one('Ingress').spec.tls,
    ).toBeUndefined();
    expect(templateError([], ['secrets.a=x', 'existingSecret=mine'])).toContain(
      'give either existingSecret or secrets',
    );
    expect(templateError([], ['config.spool.enabled=true'])).toContain(
      "config.spool.enabled: set the chart's spool.enabled",
    );
    expect(templateError([], ['config.spool.dir=/x'])).toContain(
      "config.spool.dir: set the chart's spool.dir",
    );
    expect(
      templateError(
        [],
        [
          'ingress.enabled=true',
          'ingress.tlsTerminatedUpstream=true',
          'ingress.hosts[0].host=h',
          'ingress.hosts[0].paths[0].path=/',
          'ingress.hosts[0].paths[0].port=carrierservice',
        ],
      ),
    ).toContain('goes to port "carrierservice", which the Service does not have (it has http)');
    expect(templateError([], ['config.services.CarrierService.port=8080'])).toContain(
      'config.services.CarrierService.port 8080 is already the port of http.port',
    );
  });

  it('refuses an HPA with no metric', () => {
    expect(
      templateError([], ['autoscaling.enabled=true', 'autoscaling.targetCPUUtilizationPercentage=0']),
    ).toContain('autoscaling needs a metric');
  });
});

describe('default values', () => {
  let rendered: Rendered;
  beforeAll(() => (rendered = template()));

  it('render a Deployment with its Service, ConfigMap, ServiceAccount, PodDisruptionBudget and test pod, nothing optional', () => {
    expect(rendered.kinds()).toEqual([
      'ConfigMap',
      'Deployment',
      'Pod',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    expectInvariants(rendered);
  });

  it('ship a `helm test` pod that GETs /readyz through the Service, outside its selector', () => {
    const pod = rendered.one('Pod');
    expect(pod.metadata.name).toBe(`${FULLNAME}-test-readyz`);
    expect(pod.metadata.annotations).toEqual({
      'helm.sh/hook': 'test',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    // Not one of the Service's pods: callbacks never go to it.
    const selector = rendered.one('Service', FULLNAME).spec.selector as Record<string, string>;
    expect(Object.entries(selector).every(([key, value]) => pod.metadata.labels?.[key] === value)).toBe(
      false,
    );
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    const [test] = pod.spec.containers;
    // The bridge's own image and security settings.
    expect(test.image).toBe(container(rendered).image);
    expect(test.securityContext).toEqual(container(rendered).securityContext);
    expect(pod.spec.securityContext).toEqual(podSpec(rendered).securityContext);
    const port = ports(rendered.one('Service', FULLNAME)).http;
    expect(testEnv(rendered)).toEqual({
      READYZ_URL: `http://${FULLNAME}.bridge.svc:${port}/readyz`,
      TIMEOUT_SECONDS: '60',
    });
    expect((test.command as string[]).slice(0, 2)).toEqual(['node', '-e']);
    expect(template([], ['helmTest.enabled=false']).all('Pod')).toEqual([]);
  });

  it('pass `helm test` once /readyz answers 200, printing the answers, and fail with the cause at the deadline', async () => {
    const answers = [503, 200];
    const server = createServer((_req, res) => {
      const status = answers.shift() ?? 503;
      res.writeHead(status, { 'content-type': 'application/json' }).end(`{"ready":${status === 200}}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
    const run = (env: Record<string, string>) => runTestScript(rendered, env);
    try {
      // Waits out a 503 (2 s between tries) and passes on the 200.
      const passed = await run({ READYZ_URL: url, TIMEOUT_SECONDS: '30' });
      expect(passed).toEqual({ code: 0, out: `${url}: 503 {"ready":false}\n${url}: 200 {"ready":true}\n` });
      // Still 503 when the time is up: fails, with the answer.
      const unready = await run({ READYZ_URL: url, TIMEOUT_SECONDS: '0' });
      expect(unready).toEqual({ code: 1, out: `${url}: 503 {"ready":false}\n` });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // Nobody listening: fails with the cause in words.
    const refused = await run({ READYZ_URL: url, TIMEOUT_SECONDS: '0' });
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('ECONNREFUSED');
  }, 20_000);

  it('run two replicas that a rollout never takes below two', () => {
    const deployment = rendered.one('Deployment');
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(rendered.one('PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  it('listen on the bridge default port with probes, preStop sleep and grace period', () => {
    const bridge = container(rendered);
    expect(ports(bridge)).toEqual({ http: BRIDGE_DEFAULTS.http.port, health: 8081 });
    expect(bridge.args).toEqual(['serve']);
    expect(bridge.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    // 5 s sleep + 25 s of the bridge's drain + 5 s margin.
    expect(podSpec(rendered).terminationGracePeriodSeconds).toBe(35);
    expect(bridge.readinessProbe).toMatchObject({ periodSeconds: 5, failureThreshold: 2 });
  });

  it('spread over zones and nodes, rollouts included', () => {
    expect(podSpec(rendered).topologySpreadConstraints).toEqual(
      ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
        topologyKey,
        maxSkew: 1,
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: SELECTOR },
        matchLabelKeys: ['pod-template-hash'],
      })),
    );
  });

  it('request and limit resources', () => {
    expect(container(rendered).resources).toEqual({
      requests: { cpu: '250m', memory: '320Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    });
  });

  it('mount a read-only config, a scratch /tmp and no Secret', () => {
    const mounts = (container(rendered).volumeMounts as { name: string; mountPath: string }[]).map(
      (m) => `${m.name}:${m.mountPath}`,
    );
    expect(mounts).toEqual(['config:/etc/thingspace-bridge/config', 'tmp:/tmp']);
  });

  it('leave to the operator exactly the keys only they can give: accounts, brokers, registry', () => {
    expect(renderedConfig(rendered)).toEqual({ http: { healthPort: 8081 } });
    expect(bridgeIssues(rendered, {}).sort()).toEqual([
      'accounts: required',
      'kafka: required: give kafka.brokers or set KAFKA_BROKERS',
      'schemaRegistry: required: give schemaRegistry.url or set SCHEMA_REGISTRY_URL',
    ]);
  });
});

describe('config.http.healthPort', () => {
  it('opens the health port and points both probes at it', () => {
    const rendered = template([], ['config.http.healthPort=8082']);
    const bridge = container(rendered);
    expect(ports(bridge)).toEqual({ http: BRIDGE_DEFAULTS.http.port, health: 8082 });
    expect(bridge.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health', scheme: 'HTTP' });
    expect(bridge.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health', scheme: 'HTTP' });
  });

  it('probes the main listener when nulled, over HTTPS when it speaks TLS', () => {
    const probes = (sets: string[]) => {
      const bridge = container(template([], ['config.http.healthPort=null', ...sets]));
      expect(ports(bridge)).toEqual({ http: BRIDGE_DEFAULTS.http.port });
      return [bridge.livenessProbe.httpGet, bridge.readinessProbe.httpGet];
    };
    const plain = probes([]);
    expect(plain).toEqual([
      { path: '/healthz', port: 'http', scheme: 'HTTP' },
      { path: '/readyz', port: 'http', scheme: 'HTTP' },
    ]);
    const https = [
      { path: '/healthz', port: 'http', scheme: 'HTTPS' },
      { path: '/readyz', port: 'http', scheme: 'HTTPS' },
    ];
    const named = ['config.http.publicBaseUrl=https://b.example.com'];
    // The chart's TLS Secret, or config.http.tls written by hand.
    expect(probes(['tls.secretName=bridge-tls', ...named])).toEqual(https);
    expect(probes(['config.http.tls.certFile=/c.pem', 'config.http.tls.keyFile=/k.pem', ...named])).toEqual(
      https,
    );
  });
});

describe('metrics port (config.http.metricsPort) without TLS', () => {
  it('has the ServiceMonitor scrape the metrics Service, not the main listener (which answers 404 then)', () => {
    const rendered = template([], ['config.http.metricsPort=9464', 'serviceMonitor.enabled=true']);
    expectInvariants(rendered);
    const monitor = rendered.one('ServiceMonitor');
    expect(monitor.spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
    ]);
    expect(monitor.spec.selector).toEqual({
      matchLabels: { ...SELECTOR, 'thingspace-kafka-bridge/metrics': 'true' },
    });
    // Of the Services, the metrics one alone carries the label.
    const selected = rendered
      .all('Service')
      .filter((service) => service.metadata.labels?.['thingspace-kafka-bridge/metrics'] === 'true');
    expect(selected.map((service) => service.metadata.name)).toEqual([`${FULLNAME}-metrics`]);
    // The alerts then read the series under that Service's name as job.
    const rule = template(
      [],
      ['config.http.metricsPort=9464', 'serviceMonitor.enabled=true', 'prometheusRule.enabled=true'],
    ).one('PrometheusRule');
    expect(JSON.stringify(rule.spec)).toContain(`job=\\"${FULLNAME}-metrics\\"`);
  });
});

describe('TLS in the bridge (ci/tls-values.yaml)', () => {
  let rendered: Rendered;
  beforeAll(() => (rendered = template([VARIANTS.tls])));

  it('renders the workload, the LoadBalancer Service, the metrics Service, ServiceMonitor and NetworkPolicy', () => {
    expect(rendered.kinds()).toEqual([
      'ConfigMap',
      'Deployment',
      'NetworkPolicy',
      'Pod',
      'PodDisruptionBudget',
      'Secret',
      'Service',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    expectInvariants(rendered);
    const main = rendered.one('Service', FULLNAME);
    expect(main.spec.type).toBe('LoadBalancer');
    expect(main.spec.ports).toEqual([{ name: 'http', port: 443, targetPort: 'http', protocol: 'TCP' }]);
    expect(rendered.one('Service', `${FULLNAME}-metrics`).spec.type).toBe('ClusterIP');
  });

  it('mounts the Secret whole and read-only, and points http.tls at its files', () => {
    const volumes = podSpec(rendered).volumes as any[];
    expect(volumes.find((volume) => volume.name === 'tls')).toEqual({
      name: 'tls',
      secret: { secretName: 'callbacks-example-com-tls', defaultMode: 0o440 },
    });
    expect(container(rendered).volumeMounts).toContainEqual({
      name: 'tls',
      mountPath: TLS_DIR,
      readOnly: true,
    });
    // The chart's files, and the keys the values file gives beside them.
    expect((renderedConfig(rendered).http as any).tls).toEqual({
      certFile: `${TLS_DIR}/tls.crt`,
      keyFile: `${TLS_DIR}/tls.key`,
      minVersion: 'TLSv1.2',
    });
    // The intermediates as chainFile, from the key named.
    const chained = renderedConfig(template([VARIANTS.tls], ['tls.chainKey=ca.crt']));
    expect((chained.http as any).tls.chainFile).toBe(`${TLS_DIR}/ca.crt`);
  });

  it('renders a config the bridge accepts once the Secret holds the files, tracing as given', () => {
    const { loaded, issues } = validateWithBridge(
      renderedConfig(rendered),
      { acme: 'tls-variant-password' },
      { 'tls.crt': 'certificate', 'tls.key': 'key' },
    );
    expect(issues).toEqual([]);
    expect(loaded!.config.http.tls!.certFile).toMatch(/\/tls\/tls\.crt$/);
    expect(loaded!.config.tracing).toMatchObject({
      enabled: true,
      endpoint: 'http://otel-collector.monitoring:4318',
      sampleRatio: 0.1,
    });
    // Without the Secret's files the bridge refuses to start: the mount is what the config reads.
    const missing = validateWithBridge(renderedConfig(rendered), { acme: 'a' }).issues.map((i) => i.path);
    expect(missing).toEqual(expect.arrayContaining(['http.tls.certFile', 'http.tls.keyFile']));
  });

  it('leaves config.http.tls written by hand as it is, and refuses files from both sources', () => {
    const own = [
      'config.http.tls.certFile=/certs/fullchain.pem',
      'config.http.tls.keyFile=/certs/privkey.pem',
    ];
    const named = ['config.http.publicBaseUrl=https://b.example.com'];
    const rendered = template([], [...own, ...named]);
    expect((renderedConfig(rendered).http as any).tls).toEqual({
      certFile: '/certs/fullchain.pem',
      keyFile: '/certs/privkey.pem',
    });
    expect((podSpec(rendered).volumes as { name: string }[]).map((v) => v.name)).not.toContain('tls');
    expect(templateError([], [...own, ...named, 'tls.secretName=bridge-tls'])).toContain(
      'config.http.tls.certFile: tls.secretName gives the files already',
    );
  });

  it('scrapes the plain-HTTP metrics port, and refuses a ServiceMonitor on the HTTPS port', () => {
    expect(rendered.one('ServiceMonitor').spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
    ]);
    const refusal = 'serviceMonitor.enabled with TLS on the main listener';
    expect(
      templateError(
        [],
        [
          'serviceMonitor.enabled=true',
          'tls.secretName=t',
          'config.http.publicBaseUrl=https://b.example.com',
        ],
      ),
    ).toContain(refusal);
    expect(
      templateError(
        [],
        [
          'serviceMonitor.enabled=true',
          'config.http.tls.certFile=/c.pem',
          'config.http.tls.keyFile=/k.pem',
          'config.http.publicBaseUrl=https://b.example.com',
        ],
      ),
    ).toContain('set config.http.metricsPort');
    // Without a ServiceMonitor, TLS needs no metrics port.
    const unscraped = template([], ['tls.secretName=t', 'config.http.publicBaseUrl=https://b.example.com']);
    expect(unscraped.all('ServiceMonitor')).toEqual([]);
    expectInvariants(unscraped);
  });

  it('lets the scrapers reach the metrics port through the NetworkPolicy', () => {
    expect(rendered.one('NetworkPolicy').spec.ingress[0].ports).toEqual([
      { port: 'http', protocol: 'TCP' },
      { port: 'metrics', protocol: 'TCP' },
    ]);
  });

  it('runs `helm test` over HTTPS, checking the certificate for the public host name', () => {
    expect(testEnv(rendered)).toEqual({
      READYZ_URL: `https://${FULLNAME}.bridge.svc:443/readyz`,
      TLS_SERVER_NAME: 'callbacks.example.com',
      TIMEOUT_SECONDS: '60',
    });
    expect(
      testEnv(template([VARIANTS.tls], ['helmTest.tlsServerName=other.example.com'])).TLS_SERVER_NAME,
    ).toBe('other.example.com');
    expect(templateError([], ['tls.secretName=t'])).toContain(
      'set config.http.publicBaseUrl or helmTest.tlsServerName',
    );
  });

  it('passes `helm test` only with a certificate a trusted CA issued for that name', async () => {
    const pki = new TestPki();
    const leaf = pki.issue('localhost');
    const server = createHttpsServer(
      { cert: readFileSync(leaf.certFile), key: readFileSync(leaf.keyFile) },
      (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":true}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
    const run = (env: Record<string, string>) =>
      runTestScript(rendered, { READYZ_URL: url, TIMEOUT_SECONDS: '0', ...env });
    try {
      // The certificate is for localhost, which the test names while it connects to the address.
      const trusted = { NODE_EXTRA_CA_CERTS: pki.root.certFile };
      expect(await run({ ...trusted, TLS_SERVER_NAME: 'localhost' })).toEqual({
        code: 0,
        out: `${url}: 200 {"ready":true}\n`,
      });
      // Another name: refused, saying why.
      const wrongName = await run({ ...trusted, TLS_SERVER_NAME: 'callbacks.example.com' });
      expect(wrongName.code).toBe(1);
      expect(wrongName.out).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
      // A CA outside the trusted ones (ThingSpace refuses such a certificate too): refused.
      const untrusted = await run({ TLS_SERVER_NAME: 'localhost' });
      expect(untrusted.code).toBe(1);
      expect(untrusted.out).toContain('unable to verify the first certificate');
    } finally {
      await new Promise((resolve) => server.close(resolve));
      pki.cleanup();
    }
  }, 20_000);
});

describe('spool on (ci/spool-values.yaml)', () => {
  let rendered: Rendered;
  beforeAll(() => (rendered = template([VARIANTS.spool])));

  it('renders a StatefulSet (no Deployment) with its headless Service and a scale-up-only HPA', () => {
    expect(rendered.kinds()).toEqual([
      'ConfigMap',
      'HorizontalPodAutoscaler',
      'Pod',
      'PodDisruptionBudget',
      'Secret',
      'Service',
      'Service',
      'ServiceAccount',
      'StatefulSet',
    ]);
    expectInvariants(rendered);
    const set = rendered.one('StatefulSet');
    expect(set.spec.replicas).toBeUndefined(); // the HPA owns it
    expectHeadlessService(rendered, set, SELECTOR);
    const hpa = rendered.one('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: FULLNAME });
    expect(hpa.spec.behavior).toEqual({ scaleDown: { selectPolicy: 'Disabled' } });
  });

  it('gives each pod a PersistentVolumeClaim mounted at spool.dir, kept on scale-down and uninstall', () => {
    expectVolumePerPod(rendered.one('StatefulSet'), container(rendered), {
      name: 'spool',
      labels: SELECTOR,
      storage: '5Gi',
      claims: 'Retain',
      mountPath: '/var/lib/thingspace-bridge/spool',
    });
    // No pod-template-hash on StatefulSet pods: spreading by the selector alone.
    for (const constraint of podSpec(rendered).topologySpreadConstraints) {
      expect(constraint.matchLabelKeys).toBeUndefined();
    }
  });

  it("turns the bridge's spool on in its config, sizes as integers", () => {
    const config = renderedConfig(rendered);
    // The chart's three, and what config.spool adds (fsync) passed through.
    expect(config.spool).toEqual({
      enabled: true,
      dir: '/var/lib/thingspace-bridge/spool',
      maxBytes: 4294967296,
      fsync: true,
    });
    // The bridge accepts it, spool section included.
    expect(bridgeIssues(rendered)).toEqual([]);
  });
});

describe('the dedupe service (ci/dedupe-values.yaml)', () => {
  let rendered: Rendered;
  let set: K8sObject;
  let dedupe: any;
  beforeAll(() => {
    rendered = template([VARIANTS.dedupe]);
    set = rendered.one('StatefulSet', DEDUPE_NAME);
    const containers = set.spec.template.spec.containers as { name: string }[];
    expect(containers.map((c) => c.name)).toEqual(['dedupe']);
    dedupe = containers[0];
  });
  const DEDUPE_SELECTOR = {
    'app.kubernetes.io/name': 'thingspace-kafka-bridge-dedupe',
    'app.kubernetes.io/instance': 'tsb',
  };
  const STATE_DIR = '/var/lib/thingspace-bridge/dedupe';

  it('renders a StatefulSet with its headless Service, ServiceMonitor and PodDisruptionBudget beside the bridge', () => {
    expect(rendered.kinds()).toEqual([
      'ConfigMap',
      'Deployment',
      'Pod',
      'PodDisruptionBudget',
      'PodDisruptionBudget',
      'Secret',
      'Service',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
      'ServiceMonitor',
      'StatefulSet',
    ]);
    expectInvariants(rendered);
    expect(set.spec.replicas).toBe(3);
    expect(set.spec.selector.matchLabels).toEqual(DEDUPE_SELECTOR);
    const headless = expectHeadlessService(rendered, set, DEDUPE_SELECTOR);
    expect(headless.spec.ports).toEqual([{ name: 'http', port: 9090, targetPort: 'http', protocol: 'TCP' }]);
    expect(rendered.one('PodDisruptionBudget', DEDUPE_NAME).spec).toEqual({
      selector: { matchLabels: DEDUPE_SELECTOR },
      maxUnavailable: 1,
    });
    expect(rendered.one('ServiceMonitor', DEDUPE_NAME).spec).toEqual({
      selector: { matchLabels: DEDUPE_SELECTOR },
      endpoints: [{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
    });
  });

  it("is selected by nothing of the bridge's: its Services, PodDisruptionBudget and ServiceMonitor", () => {
    const podLabels = set.spec.template.metadata.labels as Record<string, string>;
    const selects = (selector: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    expect(selects(DEDUPE_SELECTOR)).toBe(true);
    expect(selects(rendered.one('Service', FULLNAME).spec.selector)).toBe(false);
    expect(selects(rendered.one('PodDisruptionBudget', FULLNAME).spec.selector.matchLabels)).toBe(false);
    expect(selects(rendered.one('ServiceMonitor', FULLNAME).spec.selector.matchLabels)).toBe(false);
    const spread = set.spec.template.spec.topologySpreadConstraints as any[];
    expect(spread.map((c) => c.labelSelector.matchLabels)).toEqual([DEDUPE_SELECTOR, DEDUPE_SELECTOR]);
  });

  it("takes each pod's name as its instance id, and its state directory and port from the chart", () => {
    expect(dedupe.args).toEqual(['dedupe']);
    expect(dedupe.env).toContainEqual({
      name: 'DEDUPE_INSTANCE_ID',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    // The config as the node reads it in pod -1, with the Secret's files where the config names them.
    const secretFiles = Object.fromEntries(
      Object.entries(rendered.one('Secret').data ?? {}).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64').toString(),
      ]),
    );
    const { loaded, issues } = validateAs(
      parseDedupeConfig,
      renderedConfig(rendered),
      secretFiles,
      {},
      { DEDUPE_INSTANCE_ID: `${DEDUPE_NAME}-1` },
    );
    expect(issues).toEqual([]);
    expect(loaded!.config.dedupe).toMatchObject({
      groupId: 'callbacks-dedupe',
      instanceId: `${DEDUPE_NAME}-1`,
      stateDir: STATE_DIR,
      port: 9090,
      batchSize: 1000,
    });
    expect(loaded!.config.kafka.sasl).toMatchObject({ username: 'bridge' });
    // The bridge reads the same file, dedupe section included.
    expect(bridgeIssues(rendered)).toEqual([]);
  });

  it('keeps the state on a PersistentVolumeClaim per pod, mounted at dedupe.stateDir', () => {
    expectVolumePerPod(set, dedupe, {
      name: 'state',
      labels: DEDUPE_SELECTOR,
      storage: '100Gi',
      // A copy of the changelog: a new volume is rebuilt from it.
      claims: 'Delete',
      mountPath: STATE_DIR,
    });
  });

  it('probes /healthz and /readyz on config.dedupe.port, and gives a batch time to commit on SIGTERM', () => {
    expect(dedupe.ports).toEqual([{ name: 'http', containerPort: 9090, protocol: 'TCP' }]);
    expect(dedupe.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(dedupe.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(set.spec.template.spec.terminationGracePeriodSeconds).toBe(60);
    expect(Object.keys(dedupe.resources.limits).sort()).toEqual(['cpu', 'memory']);
  });

  it("mounts the config and the Secret as the bridge's pods do, and rolls when they change", () => {
    const bridge = container(rendered);
    const bridgePod = podSpec(rendered);
    const pod = set.spec.template.spec;
    expect(dedupe.image).toBe(bridge.image);
    expect(dedupe.env).toContainEqual(bridge.env[0]); // BRIDGE_CONFIG
    const mounts = dedupe.volumeMounts as { name: string }[];
    expect(mounts.filter((m) => m.name !== 'state')).toEqual(bridge.volumeMounts);
    expect(pod.volumes).toEqual(bridgePod.volumes);
    expect(dedupe.securityContext).toEqual(bridge.securityContext);
    expect(pod.securityContext).toEqual(bridgePod.securityContext);
    expect(pod.serviceAccountName).toBe(bridgePod.serviceAccountName);
    expect(set.spec.template.metadata.annotations).toEqual(
      workload(rendered).spec.template.metadata.annotations,
    );
    expect(Object.keys(set.spec.template.metadata.annotations).sort()).toEqual([
      'checksum/config',
      'checksum/secrets',
    ]);
  });

  it('refuses the keys the chart sets, a relative state directory and a port it cannot probe', () => {
    expect(templateError([], ['config.dedupe.stateDir=/x'])).toContain(
      "config.dedupe.stateDir: set the chart's dedupe.stateDir",
    );
    expect(templateError([], ['config.dedupe.instanceId=one'])).toContain(
      'the chart gives each dedupe pod its own name',
    );
    expect(templateError([], ['dedupe.stateDir=relative'])).toContain('/dedupe/stateDir');
    expect(templateError([], ['config.dedupe.port=0'])).toContain('/config/dedupe/port');
  });

  it("has a NetworkPolicy of its own with the bridge's: its port from the same peers, the same egress", () => {
    const peers = [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }];
    const withPolicy = template(
      [VARIANTS.perServicePorts],
      ['dedupe.enabled=true', 'networkPolicy.from[0].namespaceSelector.matchLabels.name=monitoring'],
    );
    const bridgePolicy = withPolicy.one('NetworkPolicy', FULLNAME);
    const policy = withPolicy.one('NetworkPolicy', DEDUPE_NAME);
    expect(policy.spec.podSelector).toEqual({ matchLabels: DEDUPE_SELECTOR });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }], from: peers }]);
    expect(policy.spec.egress).toEqual(bridgePolicy.spec.egress);
    expect(policy.spec.egress).toHaveLength(2); // DNS, and the brokers' and registry's range
    expect(rendered.all('NetworkPolicy')).toEqual([]); // networkPolicy.enabled off
  });

  it('is off by default, and without the PodDisruptionBudgets has none', () => {
    expect(template().all('StatefulSet')).toEqual([]);
    expect(renderedConfig(template()).dedupe).toBeUndefined();
    const noPdb = template([VARIANTS.dedupe], ['podDisruptionBudget.enabled=false']);
    expect(noPdb.all('PodDisruptionBudget')).toEqual([]);
    expect(noPdb.one('StatefulSet', DEDUPE_NAME).spec.template.spec.containers[0].env).toContainEqual({
      name: 'DEDUPE_INSTANCE_ID',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
  });
});

describe('per-service ports (ci/per-service-ports-values.yaml)', () => {
  let rendered: Rendered;
  beforeAll(() => (rendered = template([VARIANTS.perServicePorts])));

  it('opens a container port and a Service port per enabled service listener', () => {
    expect(rendered.kinds()).toEqual([
      'ConfigMap',
      'Deployment',
      'NetworkPolicy',
      'Pod',
      'PodDisruptionBudget',
      'Secret',
      'Service',
      'ServiceAccount',
    ]);
    expectInvariants(rendered);
    expect(ports(container(rendered))).toEqual({
      http: 9001,
      carrierservice: 9002,
      smsdeliveryconf: 9003,
      health: 8081,
    });
    // DeviceUsage is disabled: the bridge opens no listener for it, so neither does the chart.
    expect(ports(rendered.one('Service'))).toEqual({
      http: 9001,
      carrierservice: 9002,
      smsdeliveryconf: 9003,
    });
  });

  it('waits for a longer shutdownGraceMs', () => {
    expect(podSpec(rendered).terminationGracePeriodSeconds).toBe(5 + 40 + 5);
  });

  it('exposes, on a TLS load balancer limited to the senders, every URL `callbacks sync` registers', () => {
    const service = rendered.one('Service');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.loadBalancerSourceRanges).toEqual(['192.0.2.0/24', '198.51.100.16/28']);
    const { loaded } = validateWithBridge(renderedConfig(rendered), { acme: 'x' });
    const urls = registeredUrls(loaded!.config);
    expect(urls).toEqual([
      'https://callbacks.example.com:9001/callbacks/<every other service>',
      'https://callbacks.example.com:9002/callbacks/CarrierService',
      'https://callbacks.example.com:9003/callbacks/SMSDeliveryConfirmation',
    ]);
    const tlsPorts = service.metadata.annotations!['service.beta.kubernetes.io/aws-load-balancer-ssl-ports']!;
    for (const url of urls) {
      const port = Number(new URL(url.replace('<every other service>', 'x')).port);
      expect(isRegistrablePort(port)).toBe(true);
      // The load balancer listens on the port the URL names and forwards it to the listener of that number.
      expect(Object.values(ports(service))).toContain(port);
      expect(tlsPorts.split(',')).toContain(String(port));
    }
  });

  it('lets traffic reach the listeners only, and out to DNS and the given Kafka/registry range', () => {
    const policy = rendered.one('NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels).toEqual(SELECTOR);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([
      { ports: ['http', 'carrierservice', 'smsdeliveryconf'].map((port) => ({ port, protocol: 'TCP' })) },
    ]);
    expect(policy.spec.egress).toEqual([
      {
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
      {
        to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
        ports: [
          { port: 9092, protocol: 'TCP' },
          { port: 8081, protocol: 'TCP' },
        ],
      },
    ]);
  });

  it('creates the Secret from values and rolls the pods when it changes', () => {
    const secret = rendered.one('Secret');
    expect(secret.metadata.name).toBe(FULLNAME);
    expect(Buffer.from(secret.data!.acme!, 'base64').toString()).toBe('ports-variant-password');
    const annotations = workload(rendered).spec.template.metadata.annotations;
    const other = workload(template([VARIANTS.perServicePorts], ['secrets.acme=changed'])).spec.template
      .metadata.annotations;
    expect(other['checksum/secrets']).not.toBe(annotations['checksum/secrets']);
    expect(other['checksum/config']).toBe(annotations['checksum/config']);
  });

  it('renders a config the bridge accepts, with the same listeners', () => {
    const config = renderedConfig(rendered);
    const { loaded, issues } = validateWithBridge(config, { acme: 'ports-variant-password' });
    expect(issues).toEqual([]);
    expect(loaded!.config.http.port).toBe(9001);
    expect(loaded!.config.services.CarrierService!.port).toBe(9002);
    expect(loaded!.config.accounts[0]!.password!.reveal()).toBe('ports-variant-password');
  });
});

describe('existingSecret (ci/existing-secret-values.yaml)', () => {
  let rendered: Rendered;
  beforeAll(() => (rendered = template([VARIANTS.existingSecret])));

  it('mounts the named Secret and creates none', () => {
    expect(rendered.kinds()).toEqual([
      'ConfigMap',
      'Deployment',
      'Pod',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    expectInvariants(rendered);
    const volumes = podSpec(rendered).volumes as any[];
    expect(volumes.find((volume) => volume.name === 'secrets')).toEqual({
      name: 'secrets',
      secret: { secretName: 'thingspace-bridge-credentials', defaultMode: 0o440 },
    });
    expect(workload(rendered).spec.template.metadata.annotations['checksum/secrets']).toBeUndefined();
  });

  it('renders a config the bridge accepts once the Secret holds the files it names', () => {
    const config = renderedConfig(rendered);
    expect(passwordFiles(config).sort()).toEqual(
      ['acme', 'beta', 'kafka', 'registry'].map((key) => `${SECRETS_DIR}/${key}`),
    );
    const { loaded, issues } = validateWithBridge(config, {
      acme: 'a',
      beta: 'b',
      kafka: 'k',
      registry: 'r',
    });
    expect(issues).toEqual([]);
    // A digits-only account name stays a string through helm's toYaml.
    expect(loaded!.config.accounts.map((account) => account.name)).toEqual([
      '0000123456-00001',
      '0000654321',
    ]);
  });

  it('scrapes /metrics on the main listener with the ServiceMonitor', () => {
    const monitor = rendered.one('ServiceMonitor');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    expect(monitor.spec.selector.matchLabels).toEqual(SELECTOR);
    expect(rendered.one('Service').metadata.labels).toMatchObject(SELECTOR);
    expect(monitor.spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
    ]);
  });
});

interface DashboardPanel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
  panels?: DashboardPanel[];
}

describe('monitoring (ci/monitoring-values.yaml)', () => {
  let rendered: Rendered;
  beforeAll(() => (rendered = template([VARIANTS.monitoring])));

  const ALERTS = {
    'thingspace-bridge.availability': [
      'ThingspaceBridgeNotReady',
      'ThingspaceBridgeNoReadyNode',
      'ThingspaceBridgeErrors',
    ],
    'thingspace-bridge.delivery': [
      'ThingspaceBridgeDeadLetters',
      'ThingspaceBridgeAuthFailures',
      'ThingspaceBridgeKafkaSlow',
    ],
    'thingspace-bridge.spool': ['ThingspaceBridgeSpoolFilling', 'ThingspaceBridgeSpoolStale'],
    'thingspace-bridge.dedupe': [
      'ThingspaceDedupeNotReady',
      'ThingspaceDedupeLagging',
      'ThingspaceDedupeAborting',
    ],
  };

  function alerts(rule: K8sObject): Record<string, any> {
    return Object.fromEntries(
      (rule.spec.groups as { rules: { alert: string }[] }[]).flatMap((group) =>
        group.rules.map((r) => [r.alert, r]),
      ),
    );
  }

  it('renders the ServiceMonitors, the PrometheusRule and the dashboard ConfigMap beside the workloads', () => {
    expect(rendered.kinds()).toEqual([
      'ConfigMap',
      'ConfigMap',
      'Pod',
      'PodDisruptionBudget',
      'PodDisruptionBudget',
      'PrometheusRule',
      'Secret',
      'Service',
      'Service',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
      'ServiceMonitor',
      'StatefulSet',
      'StatefulSet',
    ]);
    expectInvariants(rendered);
  });

  it('scrapes each pod once: through the main Service, not the headless one', () => {
    const selector = rendered.one('ServiceMonitor', FULLNAME).spec.selector;
    const selected = rendered
      .all('Service')
      .filter(
        (service) =>
          Object.entries(selector.matchLabels as Record<string, string>).every(
            ([key, value]) => service.metadata.labels?.[key] === value,
          ) &&
          (selector.matchExpressions as { key: string; operator: string }[]).every(
            ({ key, operator }) => operator === 'DoesNotExist' && !(key in (service.metadata.labels ?? {})),
          ),
      );
    expect(selected.map((service) => service.metadata.name)).toEqual([FULLNAME]);
    expect(rendered.all('Service')).toHaveLength(3);
  });

  it("ships the dashboard to Grafana's sidecar: its label, the folder annotation, the namespace it watches", () => {
    const map = rendered.one('ConfigMap', `${FULLNAME}-dashboard`);
    expect(map.metadata.namespace).toBe('monitoring');
    expect(map.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(map.metadata.annotations).toEqual({ grafana_folder: 'Kafka' });
    expect(Object.keys(map.data!)).toEqual(['thingspace-bridge.json']);
    const file = readFileSync(join(CHART, 'dashboards', 'thingspace-bridge.json'), 'utf8');
    const dashboard = JSON.parse(map.data!['thingspace-bridge.json']!);
    expect(dashboard).toEqual(JSON.parse(file));
    expect(dashboard.uid).toBe('thingspace-bridge');
    // Every panel, those of collapsed rows included, reads the data source the variable picks.
    const panels = (dashboard.panels as DashboardPanel[]).flatMap((p) => [p, ...(p.panels ?? [])]);
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    // The dedupe row's queries read the dedupe nodes' job, which a variable of its own picks, and nothing else.
    const row = panels.find((p) => p.type === 'row' && p.title === 'Dedupe')!;
    const expressions = row.panels!.flatMap((p) => p.targets!.map((t) => t.expr));
    expect(expressions.length).toBeGreaterThanOrEqual(6);
    for (const expr of expressions) {
      expect(expr).toMatch(/^[^{]*thingspace_dedupe_\w+\{namespace="\$namespace", job="\$dedupe_job"\}/);
    }
    const variables = dashboard.templating.list as { name: string; query?: { query: string } }[];
    expect(variables.find((v) => v.name === 'dedupe_job')!.query!.query).toBe(
      'label_values(thingspace_dedupe_ready{namespace="$namespace"}, job)',
    );
    // The sidecar's label is configurable: another label, or the default one removed.
    const relabelled = template(
      [VARIANTS.monitoring],
      ['grafanaDashboard.labels.grafana_dashboard=null', 'grafanaDashboard.labels.dashboards=bridge'],
    ).one('ConfigMap', `${FULLNAME}-dashboard`).metadata.labels!;
    expect(relabelled.dashboards).toBe('bridge');
    expect(relabelled.grafana_dashboard).toBeUndefined();
  });

  it('alerts on readiness, 5xx, dead letters, auth failures, Kafka latency, the spool and the dedupe', () => {
    const rule = rendered.one('PrometheusRule');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const groups = rule.spec.groups as { name: string; rules: { alert: string }[] }[];
    expect(Object.fromEntries(groups.map((g) => [g.name, g.rules.map((r) => r.alert)]))).toEqual(ALERTS);
    for (const alert of Object.values(alerts(rule))) {
      expect(['warning', 'critical']).toContain(alert.labels.severity);
      expect(alert.annotations.summary).toBeTruthy();
      expect(alert.annotations.description).toBeTruthy();
      // Every series the alert reads is this release's: its ServiceMonitor's namespace and job (the Service),
      // the bridge's or the dedupe nodes'.
      const expr = alert.expr as string;
      const selectors = expr.match(/thingspace_\w+\{[^}]*\}/g) ?? [];
      expect(selectors.length).toBeGreaterThan(0);
      for (const selector of selectors) {
        const job = selector.startsWith('thingspace_dedupe_') ? DEDUPE_NAME : FULLNAME;
        expect(selector).toContain(`namespace="bridge", job="${job}"`);
      }
    }
  });

  it('takes its thresholds from the values, the spool capacity from spool.maxBytes', () => {
    const rule = alerts(rendered.one('PrometheusRule'));
    expect(rule.ThingspaceBridgeNotReady.expr).toMatch(/^thingspace_bridge_ready\{[^}]*\} == 0$/);
    expect(rule.ThingspaceBridgeNotReady.for).toBe('5m');
    expect(rule.ThingspaceBridgeErrors.expr).toMatch(/status=~"5\.\."[\s\S]*> 0\.02$/);
    expect(rule.ThingspaceBridgeKafkaSlow.expr).toMatch(
      /^histogram_quantile\(0\.99, [\s\S]*thingspace_bridge_produce_duration_seconds_bucket[\s\S]*> 2\.5$/,
    );
    expect(rule.ThingspaceBridgeSpoolFilling.expr).toMatch(/ \/ 2147483648 > 0\.8$/);
    expect(rule.ThingspaceBridgeSpoolStale.expr).toMatch(/> 900$/);
    expect(rule.ThingspaceBridgeAuthFailures.expr).toMatch(/\[5m\]\)\) > 20$/);
    expect(rule.ThingspaceBridgeDeadLetters.expr).toContain('outcome="dead-lettered"');
    expect(rule.ThingspaceDedupeNotReady.expr).toMatch(/^thingspace_dedupe_ready\{[^}]*\} == 0$/);
    expect(rule.ThingspaceDedupeNotReady.for).toBe('15m');
    expect(rule.ThingspaceDedupeLagging.expr).toMatch(
      /^sum by \(namespace, job, topic\) \([^\n]*\) > 5000\n/,
    );
    expect(rule.ThingspaceDedupeAborting.expr).toContain('reason!="rebalance"');
  });

  it('leaves the spool and dedupe alerts out without them, and takes a selector of its own', () => {
    const rule = template(
      [],
      ['prometheusRule.enabled=true', 'prometheusRule.selector=cluster="eu"\\, app="bridge"'],
    ).one('PrometheusRule');
    const names = Object.keys(alerts(rule));
    expect(names).not.toContain('ThingspaceBridgeSpoolFilling');
    expect(names).not.toContain('ThingspaceDedupeNotReady');
    expect(names).toContain('ThingspaceBridgeKafkaSlow');
    expect(alerts(rule).ThingspaceBridgeNotReady.expr).toBe(
      'thingspace_bridge_ready{cluster="eu", app="bridge"} == 0',
    );
  });

  it("takes the dedupe nodes' selector of its own", () => {
    const rule = alerts(
      template(
        [VARIANTS.monitoring],
        ['prometheusRule.selector=app="bridge"', 'prometheusRule.dedupeSelector=app="dedupe"'],
      ).one('PrometheusRule'),
    );
    expect(rule.ThingspaceBridgeNotReady.expr).toBe('thingspace_bridge_ready{app="bridge"} == 0');
    expect(rule.ThingspaceDedupeNotReady.expr).toBe('thingspace_dedupe_ready{app="dedupe"} == 0');
    expect(rule.ThingspaceDedupeAborting.expr).toContain('{app="dedupe", reason!="rebalance"}');
  });
});

describe('the production example (helm/examples/production-values.yaml)', () => {
  let rendered: Rendered;
  beforeAll(() => (rendered = template([VARIANTS.production])));

  it('renders the full set: Ingress with TLS, HPA, ServiceMonitor, alerts, dashboard, NetworkPolicy', () => {
    expect(rendered.kinds()).toEqual([
      'ConfigMap',
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Ingress',
      'NetworkPolicy',
      'Pod',
      'PodDisruptionBudget',
      'PrometheusRule',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    expectInvariants(rendered);
    const ingress = rendered.one('Ingress');
    expect(ingress.spec.tls).toEqual([
      { secretName: 'thingspace-bridge-tls', hosts: ['thingspace-bridge.example.com'] },
    ]);
    expect(ingress.metadata.annotations).toMatchObject({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
    expect(ingress.spec.rules[0].http.paths).toEqual([
      {
        path: '/callbacks',
        pathType: 'Prefix',
        backend: { service: { name: FULLNAME, port: { name: 'http' } } },
      },
    ]);
  });

  it('scales on CPU and on the queue metric the bridge exports', () => {
    const hpa = rendered.one('HorizontalPodAutoscaler');
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 12 });
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: FULLNAME });
    expect(hpa.spec.behavior).toBeUndefined();
    expect(hpa.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
      {
        type: 'Pods',
        pods: {
          metric: { name: 'thingspace_bridge_producer_queued_records' },
          target: { type: 'AverageValue', averageValue: '200' },
        },
      },
    ]);
    expect(rendered.one('Deployment').spec.replicas).toBeUndefined();
    // The metric exists on the bridge's /metrics under that name.
    const metrics = createMetrics();
    expect(metrics.registry.getSingleMetric('thingspace_bridge_producer_queued_records')).toBeDefined();
  });

  it('renders a config the bridge accepts, trusting one proxy for the allow-list', () => {
    const { loaded, issues } = validateWithBridge(renderedConfig(rendered), { acme: 'a', kafka: 'k' });
    expect(issues).toEqual([]);
    expect(loaded!.config.http.trustProxy).toBe(1);
    expect(loaded!.config.http.allowedSources.length).toBeGreaterThan(0);
  });

  it('serves the URLs `callbacks sync` registers through the Ingress, over TLS on 443', () => {
    const { loaded } = validateWithBridge(renderedConfig(rendered), { acme: 'a', kafka: 'k' });
    expect(registeredUrls(loaded!.config)).toEqual([
      'https://thingspace-bridge.example.com/callbacks/<every other service>',
    ]);
    const ingress = rendered.one('Ingress');
    expect(ingress.spec.tls[0].hosts).toContain('thingspace-bridge.example.com');
    expect(isRegistrablePort(443)).toBe(true);
  });

  it('lets the `helm test` pod through the NetworkPolicy besides the peers given', () => {
    const from = rendered.one('NetworkPolicy').spec.ingress[0].from as any[];
    const values = readValues(VARIANTS.production) as any;
    expect(from).toEqual([
      ...values.networkPolicy.from,
      {
        podSelector: {
          matchLabels: { 'app.kubernetes.io/instance': 'tsb', 'app.kubernetes.io/component': 'helm-test' },
        },
      },
    ]);
    expect(rendered.one('Pod').metadata.labels).toMatchObject(from.at(-1)!.podSelector.matchLabels);
    // Without the test pod, the peers given alone.
    const untested = template([VARIANTS.production], ['helmTest.enabled=false']);
    expect(untested.one('NetworkPolicy').spec.ingress[0].from).toEqual(values.networkPolicy.from);
  });

  it('keeps the controller allow-list and the bridge allow-list the same', () => {
    const values = readValues(VARIANTS.production) as any;
    expect(
      (values.ingress.annotations['nginx.ingress.kubernetes.io/whitelist-source-range'] as string).split(','),
    ).toEqual(values.config.http.allowedSources);
  });
});

describe('the README', () => {
  it('quotes helm/examples/production-values.yaml faithfully in "Deploying"', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const excerpt = /```yaml\n(config: # the bridge's config file[\s\S]*?)```/.exec(readme);
    expect(excerpt).not.toBeNull();
    const quoted = parseYaml(excerpt![1]!) as unknown;
    const differences: string[] = [];
    const within = (part: unknown, whole: unknown, path: string): void => {
      if (part !== null && typeof part === 'object' && !Array.isArray(part)) {
        for (const [key, value] of Object.entries(part)) {
          const next = (whole as Record<string, unknown> | undefined)?.[key];
          if (next === undefined) differences.push(`${path}${key}: not in the file`);
          else within(value, next, `${path}${key}.`);
        }
      } else if (JSON.stringify(part) !== JSON.stringify(whole)) {
        differences.push(`${path}: ${JSON.stringify(part)} vs ${JSON.stringify(whole)}`);
      }
    };
    within(quoted, readValues(VARIANTS.production), '');
    expect(differences).toEqual([]);
  });
});

describe('helm/README.md', () => {
  it('names every documented variant', () => {
    const readme = readFileSync(join(ROOT, 'helm', 'README.md'), 'utf8');
    for (const file of Object.values(VARIANTS))
      expect(readme).toContain(file.slice(ROOT.length + 1 + 'helm/'.length));
  });
});
