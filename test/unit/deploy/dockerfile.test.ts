/**
 * The Dockerfile, checked without a Docker engine (CI has none; this Docker CLI has no `build --check`): parsed
 * into stages and instructions, and held to what the README promises: multi-stage, production dependencies only
 * in the final stage, no npm in it, the OCI labels, a numeric non-root user, tini as PID 1, a HEALTHCHECK on
 * /readyz that works, a build context that holds what the COPYs need.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { parseConfig } from '../../../src/config';
import { tempDirs } from '../../support/temp';

const ROOT = join(__dirname, '..', '..', '..');

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** Instructions with their continuation lines joined and comments dropped, as the builder reads them. */
function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trimEnd()} `;
      continue;
    }
    const full = pending + line;
    pending = '';
    const match = /^(\S+)\s+(.*)$/s.exec(full);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
  }
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/);
      expect(as?.toUpperCase()).toBe('AS'); // every stage is named
      stages.push({ name: name!, from: from!, instructions: [] });
    } else if (stages.length === 0) {
      args.push(instruction);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** The JSON array of an exec-form instruction (after any --options). */
function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  return JSON.parse(json) as string[];
}

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const stage = (name: string) => {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
const final = dockerfile.stages.at(-1)!;
const all = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  description: string;
  license: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
};
const tempDir = tempDirs('dockerfile-');

/** A LABEL's `key="value"` pairs (the form this Dockerfile writes). */
function labels(args: string): Record<string, string> {
  const pairs = [...args.matchAll(/([\w.-]+)="((?:[^"\\]|\\.)*)"/g)];
  expect(pairs.map((m) => m[0]).join(' ')).toBe(args.replace(/\s+/g, ' ')); // nothing left unread
  return Object.fromEntries(pairs.map((m) => [m[1]!, m[2]!]));
}

describe('Dockerfile', () => {
  it('builds on the Node version scripts/run pins, the runtime in an empty image of its own', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'prod-deps', 'runtime-base', 'runtime']);
    const pinned = /^node_version=(\S+)$/m.exec(readFileSync(join(ROOT, 'scripts', 'run'), 'utf8'))![1];
    expect(dockerfile.args).toEqual([{ keyword: 'ARG', args: `NODE_VERSION=${pinned}` }]);
    for (const s of dockerfile.stages.slice(0, -1)) expect(s.from).toBe('node:${NODE_VERSION}-alpine');
    expect(final.from).toBe('scratch');
  });

  it('compiles with the build tsconfig in the build stage, where dev dependencies are', () => {
    const build = stage('build');
    const runs = all(build, 'RUN').map((i) => i.args);
    expect(runs.some((run) => /npm ci\b(?!.*--omit=dev)/.test(run))).toBe(true);
    expect(runs).toContain('npx tsc -p tsconfig.build.json');
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { outDir: string };
    };
    expect(tsconfig.compilerOptions.outDir).toBe('dist');
  });

  it('ships production dependencies only: node_modules from `npm ci --omit=dev`, dist, package.json', () => {
    expect(all(stage('prod-deps'), 'RUN').map((i) => i.args)).toEqual([
      expect.stringMatching(/npm ci --omit=dev /),
    ]);
    // The final stage runs nothing (it has no shell of its own to run it with) and copies no sources, tests or
    // dev tooling: the runtime's filesystem, then the application.
    expect(all(final, 'RUN')).toEqual([]);
    expect(all(final, 'COPY').map((i) => i.args)).toEqual([
      '--from=runtime-base / /',
      '--from=prod-deps /app/node_modules ./node_modules',
      '--from=build /app/dist ./dist',
      'package.json ./',
    ]);
    expect(all(final, 'WORKDIR')).toEqual([{ keyword: 'WORKDIR', args: '/app' }]);
  });

  describe('no npm in the runtime image', () => {
    const [prepare, ...others] = all(stage('runtime-base'), 'RUN').map((i) => i.args);

    it('takes its filesystem whole from runtime-base, first, into an empty image: no Node image layer below', () => {
      expect(others).toEqual([]);
      expect(final.from).toBe('scratch');
      expect(final.instructions[0]).toEqual({ keyword: 'COPY', args: '--from=runtime-base / /' });
      // The Node image's ENV does not come along: PATH, for `node` in ENTRYPOINT and HEALTHCHECK.
      expect(all(final, 'ENV')[0]!.args).toBe(
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      );
      // Nor does a production dependency bring a package manager back.
      for (const manager of ['npm', 'npx', 'corepack', 'yarn', 'pnpm'])
        expect(pkg.dependencies).not.toHaveProperty(manager);
    });

    it('removes npm, npx, corepack and yarn where the official image puts them, and keeps node, tini and the spool', () => {
      // The official node:*-alpine image (nodejs/docker-node, e.g. 24/alpine3.22/Dockerfile): Node's release
      // tarball unpacked into /usr/local, yarn 1 unpacked into /opt and linked into /usr/local/bin.
      const root = tempDir();
      const files = [
        'usr/local/bin/node',
        'usr/local/bin/nodejs',
        'usr/local/bin/npm',
        'usr/local/bin/npx',
        'usr/local/bin/corepack',
        'usr/local/bin/yarn',
        'usr/local/bin/yarnpkg',
        'usr/local/bin/docker-entrypoint.sh',
        'usr/local/lib/node_modules/npm/bin/npm-cli.js',
        'usr/local/lib/node_modules/corepack/dist/corepack.js',
        'usr/local/include/node/node.h',
        'opt/yarn-v1.22.22/bin/yarn',
        'sbin/tini',
      ];
      for (const file of files) {
        mkdirSync(join(root, dirname(file)), { recursive: true });
        writeFileSync(join(root, file), '');
      }
      // The RUN's steps after `apk add` (which installed tini), its absolute paths moved under that root.
      const steps = prepare!.split(' && ');
      expect(steps[0]).toBe('apk add --no-cache tini');
      const script = steps
        .slice(1)
        .map((step) => step.replace(/(^|\s)\/(?=\w)/g, `$1${root}/`))
        .join(' && ');
      // Every absolute path moved.
      expect(script.split(/\s+/).filter((word) => word.startsWith('/') && !word.startsWith(root))).toEqual(
        [],
      );
      execFileSync('sh', ['-c', script.replace(/chown \S+ /, 'true ')]);
      const left = (dir: string): string[] =>
        readdirSync(join(root, dir)).flatMap((name) =>
          statSync(join(root, dir, name)).isDirectory() ? left(join(dir, name)) : [join(dir, name)],
        );
      expect(left('.').sort()).toEqual([
        'sbin/tini',
        'usr/local/bin/docker-entrypoint.sh',
        'usr/local/bin/node',
        'usr/local/bin/nodejs',
      ]);
      // The spool's and the dedupe state's directories, the user's for a volume mounted there.
      const dirs = ['/var/lib/thingspace-bridge/spool', '/var/lib/thingspace-bridge/dedupe'];
      for (const dir of dirs) expect(statSync(join(root, dir)).isDirectory()).toBe(true);
      expect(steps.at(-1)).toBe(`chown 1000:1000 ${dirs.join(' ')}`);
    });
  });

  it('labels the image with the OCI annotations: from package.json, or from build arguments', () => {
    const label = all(final, 'LABEL');
    expect(label).toHaveLength(1);
    expect(labels(label[0]!.args)).toEqual({
      'org.opencontainers.image.title': pkg.name,
      'org.opencontainers.image.description': pkg.description,
      'org.opencontainers.image.version': '${VERSION}',
      'org.opencontainers.image.revision': '${REVISION}',
      'org.opencontainers.image.created': '${CREATED}',
      'org.opencontainers.image.source': '${SOURCE}',
      'org.opencontainers.image.licenses': pkg.license,
    });
    // The build arguments belong to the final stage (a global ARG is not seen there without its own), VERSION
    // defaulting to the package's; after every COPY, so that a new revision or date invalidates no layer.
    expect(all(final, 'ARG').map((i) => i.args)).toEqual([
      `VERSION=${pkg.version}`,
      'REVISION',
      'CREATED',
      'SOURCE',
    ]);
    const at = (i: Instruction) => final.instructions.indexOf(i);
    const lastCopy = Math.max(...all(final, 'COPY').map(at));
    for (const arg of all(final, 'ARG')) expect(at(arg)).toBeGreaterThan(lastCopy);
    expect(at(label[0]!)).toBeGreaterThan(Math.max(...all(final, 'ARG').map(at)));
  });

  it('needs at run time only packages that are production dependencies', () => {
    const imported = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts')) {
          const source = readFileSync(path, 'utf8');
          // Value imports only: `import type` disappears in the compiled code.
          for (const match of source.matchAll(
            /^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^'.][^']*)'/gm,
          )) {
            imported.add(`${relative(ROOT, path)}: ${match[1]!}`);
          }
          for (const match of source.matchAll(/\b(?:require|import)\('([^'.][^']*)'\)/g)) {
            imported.add(`${relative(ROOT, path)}: ${match[1]!}`);
          }
        }
      }
    };
    walk(join(ROOT, 'src'));
    const missing = [...imported].filter((line) => {
      const specifier = line.slice(line.indexOf(': ') + 2);
      if (specifier.startsWith('node:')) return false;
      const name = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : specifier.split('/')[0]!;
      return !(name in pkg.dependencies);
    });
    expect(missing).toEqual([]);
    expect(imported.size).toBeGreaterThan(0);
  });

  it('runs as a numeric non-root user, under tini, the bin entry point, `serve` by default', () => {
    const users = all(final, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0]!.args.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    // No instruction after USER switches back or writes as root.
    const afterUser = final.instructions.slice(final.instructions.indexOf(users[0]!) + 1);
    expect(afterUser.map((i) => i.keyword)).not.toContain('RUN');

    const bin = pkg.bin['thingspace-bridge'];
    expect(execForm(all(final, 'ENTRYPOINT')[0]!.args)).toEqual(['/sbin/tini', '--', 'node', `/app/${bin}`]);
    expect(execForm(all(final, 'CMD')[0]!.args)).toEqual(['serve']);
  });

  it('exposes the bridge default port and names the config path', () => {
    const defaults = parseConfig(
      { accounts: [{ name: 'a', username: 'u', password: 'p', services: ['*'] }] },
      { KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://r:8081' },
    ).config;
    expect(all(final, 'EXPOSE').map((i) => i.args)).toEqual([String(defaults.http.port)]);
    expect(all(final, 'ENV').map((i) => i.args)).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'NODE_ENV=production',
      'BRIDGE_CONFIG=/etc/thingspace-bridge/bridge.yaml',
    ]);
  });

  describe('HEALTHCHECK', () => {
    const healthcheck = all(final, 'HEALTHCHECK');
    const command = execForm(healthcheck[0]?.args.replace(/^.*?\bCMD\s+/, '') ?? '[]');
    let server: Server;
    let status = 200;
    let port = 0;
    let paths: string[] = [];

    beforeAll(async () => {
      server = createServer((req, res) => {
        paths.push(req.url ?? '');
        res.writeHead(status).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => (paths = []));

    /** Runs the check as Docker would (node from the image: here this machine's), against a fake bridge. */
    const check = (env: NodeJS.ProcessEnv) =>
      new Promise<number>((resolve) => {
        // Asynchronously: the fake bridge answers from this process's event loop.
        execFile(process.execPath, command.slice(1), { env, timeout: 10_000 }, (err) =>
          resolve(err ? Number(err.code ?? -1) : 0),
        );
      });

    /** A port nothing listens on: bound, then closed. */
    const unusedPort = async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port: unused } = closed.address() as AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      return unused;
    };

    it('polls /readyz with node itself, with an interval, a timeout and a start period', () => {
      expect(healthcheck).toHaveLength(1);
      expect(healthcheck[0]!.args).toMatch(
        /--interval=\d+s --timeout=\d+s --start-period=\d+s --retries=\d+/,
      );
      expect(command[0]).toBe('node');
      expect(command.join(' ')).toContain('/readyz');
    });

    it('passes on 200, fails on 503 and when nothing listens', async () => {
      status = 200;
      expect(await check({ BRIDGE_PORT: String(port) })).toBe(0);
      status = 503;
      expect(await check({ BRIDGE_PORT: String(port) })).toBe(1);
      expect(paths).toEqual(['/readyz', '/readyz']);
      const unused = await unusedPort();
      expect(await check({ BRIDGE_PORT: String(unused) })).toBe(1);
    });

    it('checks port 8080 without BRIDGE_PORT', () => {
      expect(command.join(' ')).toContain('e.BRIDGE_PORT||8080');
    });

    it('checks HEALTHCHECK_PORT (the plain-HTTP health port, for a bridge with http.tls) over BRIDGE_PORT', async () => {
      status = 200;
      const unused = await unusedPort();
      expect(await check({ HEALTHCHECK_PORT: String(port), BRIDGE_PORT: String(unused) })).toBe(0);
      expect(await check({ HEALTHCHECK_PORT: String(unused), BRIDGE_PORT: String(port) })).toBe(1);
    });
  });
});

describe('.dockerignore', () => {
  /** Docker's rule for our allow-list form: the last matching pattern wins; `*` matches every top-level entry. */
  function included(path: string): boolean {
    const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    let keep = true;
    for (const pattern of patterns) {
      const negated = pattern.startsWith('!');
      const body = (negated ? pattern.slice(1) : pattern).replace(/\/$/, '');
      expect(body).toMatch(/^(\*|[\w.-]+)$/); // the only forms this check understands
      if (body === '*' || path === body || path.startsWith(`${body}/`)) keep = negated;
    }
    return keep;
  }

  it('lets in every source the COPY instructions name, and keeps out the rest', () => {
    const sources = dockerfile.stages
      .flatMap((s) => all(s, 'COPY'))
      .filter((i) => !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.sort()).toEqual(
      [
        'package-lock.json',
        'package-lock.json',
        'package.json',
        'package.json',
        'package.json',
        'src',
        'tsconfig.build.json',
        'tsconfig.json',
      ].sort(),
    );
    for (const source of sources) expect(included(source)).toBe(true);
    expect(included('src/cli/main.ts')).toBe(true);
    for (const left of ['node_modules', 'dist', '.git', '.stack', 'test', 'helm', '.ci/out', 'README.md']) {
      expect(included(left)).toBe(false);
    }
  });
});
