import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { markdownTable as table } from '../docs/markdown';
import { configSchema } from './schema';
import { ENV_OVERRIDES } from './sources';

/**
 * Renders docs/configuration.md from the schema, so the reference cannot drift from what is validated
 * (`npm run docs:config` writes it; a unit test fails when the committed copy differs). The output is already
 * in prettier's table layout, so `prettier --check` leaves it alone.
 */

/** The part of JSON Schema that z.toJSONSchema emits for our schema, plus our own `meta` keys. */
interface Node {
  type?: string;
  format?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: Node | boolean;
  items?: Node;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  env?: string;
  defaultText?: string;
}

/** Used in the reference and parsed by a unit test, so the example stays valid. */
export const EXAMPLE_YAML = `http:
  allowedSources: [192.0.2.0/24, 2001:db8::/32]
  publicBaseUrl: https://bridge.example.com:9001
services:
  CarrierService: { port: 9002 }
  DeviceUsage: { enabled: false }
accounts:
  - name: '0000123456-00001'
    username: acme-callbacks
    passwordFile: secrets/acme.password
    services: ['*']
  - name: '0000654321-00001'
    username: beta-callbacks
    passwordEnv: BETA_CALLBACK_PASSWORD
    services: [CarrierService, SMSDeliveryConfirmation]
    allowEmptyCredentials: [SMSDeliveryConfirmation]
  - name: '0000777777-00001' # registered without credentials, at /callbacks/<pathToken>/<Service>
    pathTokenEnv: GAMMA_PATH_TOKEN
    services: [CarrierService, DeviceUsage]
kafka:
  brokers: [kafka-1:9092, kafka-2:9092]
  tls: { enabled: true }
  sasl: { mechanism: scram-sha-512, username: bridge, passwordEnv: KAFKA_PASSWORD }
schemaRegistry:
  url: https://registry.example.com
thingspace:
  url: https://uws.example.com/api/v2
  username: acme-api
  passwordEnv: THINGSPACE_PASSWORD
log:
  level: info
`;

const INTRO = `# Configuration reference

<!-- Generated from src/config/schema.ts by \`npm run docs:config\`; a unit test fails when this file is stale. -->

\`thingspace-bridge serve\` (and \`thingspace-bridge callbacks\`) reads one file, named by \`--config <path>\` or the
\`BRIDGE_CONFIG\` environment variable. A \`.json\` file is read as JSON, any other as YAML (which also reads JSON). The file is checked once,
at start, against the schema below: unknown keys are refused, and every problem is reported together with its
path (\`accounts[1].password: one of password, passwordFile, passwordEnv is required\`); the bridge does not
start until there are none. Settings that are valid but doubtful (no \`http.allowedSources\`, for one) are
logged as warnings at start.

Durations end in \`Ms\` (milliseconds), sizes in \`Bytes\`. Credentials are given one of three ways:
\`password\` (inline), \`passwordFile\` (a file, relative to the config file, one trailing newline dropped) or
\`passwordEnv\` (an environment variable that must be set); an account's path token likewise (\`pathToken\`,
\`pathTokenFile\`, \`pathTokenEnv\`). They are read once, at start, and never appear in logs, errors or events.

## Environment variables

These replace the key named, whatever the file says. An empty variable counts as unset.

`;

const EXAMPLE = `
## Example

\`\`\`yaml
${EXAMPLE_YAML}\`\`\`
`;

const MiB = 1024 * 1024;

function code(value: unknown): string {
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

function typeOf(node: Node): string {
  if (node.enum) return `one of ${node.enum.map(code).join(', ')}`;
  switch (node.type) {
    case 'integer': {
      const { minimum, maximum } = node;
      if (maximum !== undefined && maximum < Number.MAX_SAFE_INTEGER) return `integer ${minimum}..${maximum}`;
      return minimum === undefined ? 'integer' : `integer >= ${minimum}`;
    }
    case 'string':
      if (node.format === 'uri') return 'URL';
      return node.maxLength === undefined
        ? 'string'
        : `string, ${node.minLength ?? 0}..${node.maxLength} chars`;
    case 'array':
      return `${node.minItems ? 'non-empty ' : ''}list of ${node.items ? typeOf(node.items) : 'values'}`;
    case 'object':
      return 'mapping';
    default:
      return node.type ?? 'any';
  }
}

function defaultOf(node: Node, key: string, required: boolean): string {
  if (node.defaultText !== undefined) return node.defaultText;
  if (node.default === undefined) return required ? 'required' : 'optional';
  if (node.type === 'object') return '';
  const text = code(node.default);
  return typeof node.default === 'number' && key.endsWith('Bytes') && node.default % MiB === 0
    ? `${text} (${node.default / MiB} MiB)`
    : text;
}

type Row = [key: string, type: string, defaultValue: string, description: string];

/** One row per key, parents before children; list items and mapping values get `[]` and `.<name>` in the key. */
function rows(node: Node, path: string, required: boolean): Row[] {
  const name = path.slice(path.lastIndexOf('.') + 1);
  const env = node.env === undefined ? '' : ` Env: \`${node.env}\`.`;
  const own: Row = [
    code(path),
    typeOf(node),
    defaultOf(node, name, required),
    `${node.description ?? ''}${env}`,
  ];
  return [own, ...children(node, path)];
}

function children(node: Node, path: string): Row[] {
  if (node.properties) {
    const needed = new Set(node.required ?? []);
    return Object.entries(node.properties).flatMap(([key, child]) =>
      rows(child, `${path}.${key}`, needed.has(key)),
    );
  }
  if (typeof node.additionalProperties === 'object') {
    return children(node.additionalProperties, `${path}.<name>`);
  }
  if (node.items?.type === 'object') return children(node.items, `${path}[]`);
  return [];
}

/** A table padded the way prettier pads one (columns at least 3 wide), so formatting leaves it unchanged. */
function section(key: string, node: Node, required: boolean): string {
  const [own, ...below] = rows(node, key, required);
  // A section that is a mapping (or a list of them) is described by its heading; its keys fill the table.
  const body = node.type === 'object' || node.items?.type === 'object' ? below : [own!];
  return `## \`${key}\`\n\n${node.description ?? ''}\n\n${table(['key', 'type', 'default', 'description'], body)}\n`;
}

export function renderConfigReference(): string {
  // The schema is built only to be described: its transforms never run, so no env or files are read.
  const root = z.toJSONSchema(configSchema({ env: {}, baseDir: '.' }), {
    io: 'input',
    unrepresentable: 'any',
  }) as Node;
  const needed = new Set(root.required ?? []);
  const variables = table(
    ['variable', 'replaces'],
    [
      ['`BRIDGE_CONFIG`', 'the config file path (`--config` wins)'],
      ...Object.entries(ENV_OVERRIDES).map(([name, { path }]) => [code(name), code(path.join('.'))]),
    ],
  );
  const sections = Object.entries(root.properties ?? {}).map(([key, node]) =>
    section(key, node, needed.has(key)),
  );
  return `${INTRO}${variables}\n${EXAMPLE}\n${sections.join('\n')}`;
}

if (require.main === module) {
  const target = join(__dirname, '..', '..', 'docs', 'configuration.md');
  writeFileSync(target, renderConfigReference());
  process.stdout.write(`wrote ${target}\n`);
}
