/**
 * `thingspace-kafka-bridge/consumer` resolves by package name to what `npm run build` emits, for Node and for
 * TypeScript, without building (seconds, not the build's twenty): the build config (tsconfig.build.json) says
 * where src/consumer/index.ts's JavaScript and declarations go, package.json's `exports` must name exactly those
 * files, and both resolvers must find them by name from inside the package (Node's self-reference) as from a
 * project that installed it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..', '..');
const NAME = 'thingspace-kafka-bridge/consumer';
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, { types: string; default: string }>;
  files: string[];
};

/** What the build emits for the entry's source, relative to the package root. */
function emittedForEntry(): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  )!;
  return ts
    .getOutputFileNames(config, join(ROOT, 'src', 'consumer', 'index.ts'), false)
    .map((file) => `./${relative(ROOT, file)}`);
}

/** What Node itself (not jest's resolver) resolves `name` to from a module in `dir`, or the error's code. */
function nodeResolves(dir: string, name: string): string {
  const script =
    'try { console.log(require("node:module").createRequire(process.argv[1]).resolve(process.argv[2])) } ' +
    'catch (err) { console.log(err.code) }';
  return execFileSync(process.execPath, ['-e', script, join(dir, 'app.js'), name], {
    encoding: 'utf8',
  }).trim();
}

/** A package laid out as the build and `npm pack` leave it: package.json and the entry's files (empty). */
function packageIn(dir: string): void {
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  for (const target of Object.values(manifest.exports['./consumer']!)) {
    mkdirSync(dirname(join(dir, target)), { recursive: true });
    writeFileSync(join(dir, target), '');
  }
}

describe('the consumer entry', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'consumer-entry-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is named in exports with the build's JavaScript and declarations, inside the published files", () => {
    const entry = manifest.exports['./consumer']!;
    expect(Object.keys(entry)).toEqual(['types', 'default']); // types first: TypeScript takes the first match
    expect(emittedForEntry()).toEqual(expect.arrayContaining([entry.default, entry.types]));
    for (const target of [entry.default, entry.types]) {
      expect(manifest.files.some((folder) => target.startsWith(`./${folder}/`))).toBe(true);
    }
  });

  it('resolves by name for Node: from inside the package, and installed in node_modules', () => {
    const self = join(dir, 'self');
    mkdirSync(self);
    packageIn(self);
    expect(nodeResolves(self, NAME)).toBe(join(self, 'dist/consumer/index.js'));

    const app = join(dir, 'app');
    const installed = join(app, 'node_modules', manifest.name);
    mkdirSync(installed, { recursive: true });
    packageIn(installed);
    expect(nodeResolves(app, NAME)).toBe(join(installed, 'dist/consumer/index.js'));
    // Only what exports names: the rest of dist/ is private.
    expect(nodeResolves(app, `${manifest.name}/dist/cli/main.js`)).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('resolves by name for TypeScript (NodeNext) to the declarations', () => {
    const installed = join(dir, 'ts', 'node_modules', manifest.name);
    mkdirSync(installed, { recursive: true });
    packageIn(installed);
    const options = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
    const { resolvedModule } = ts.resolveModuleName(NAME, join(dir, 'ts', 'app.ts'), options, ts.sys);
    expect(resolvedModule?.resolvedFileName).toBe(join(installed, 'dist/consumer/index.d.ts'));
  });
});
