import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseConfig } from '../../../src/config';
import { EXAMPLE_YAML, renderConfigReference } from '../../../src/config/reference';
import { configSchema } from '../../../src/config/schema';
import { ENV_OVERRIDES } from '../../../src/config/sources';
import { parse } from 'yaml';
import { scratch } from './helpers';

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates from the schema', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    // On failure: run `npm run docs:config` and commit the result.
    expect(committed).toBe(renderConfigReference());
  });

  it('documents every key', () => {
    type Node = {
      description?: unknown;
      properties?: Record<string, Node>;
      items?: Node;
      additionalProperties?: Node;
    };
    const undocumented: string[] = [];
    // Keys need a description; list items and mapping values are described by the key holding them.
    const keysOf = (node: Node, path: string): void => {
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        const at = path ? `${path}.${key}` : key;
        if (typeof child.description !== 'string') undocumented.push(at);
        keysOf(child, at);
      }
      for (const nested of [node.items, node.additionalProperties]) {
        if (typeof nested === 'object') keysOf(nested, `${path}[]`);
      }
    };
    const root = z.toJSONSchema(configSchema({ env: {}, baseDir: '.' }), {
      io: 'input',
      unrepresentable: 'any',
    });
    keysOf(root as Node, '');
    expect(undocumented).toEqual([]);
  });

  it('names as overrides exactly the variables the loader applies', () => {
    const documented = [...renderConfigReference().matchAll(/Env: `(\w+)`/g)].map((match) => match[1]).sort();
    expect(documented).toEqual(Object.keys(ENV_OVERRIDES).sort());
  });

  it('shows an example that loads', () => {
    const files = scratch({ 'acme.password': 'acme-secret\n' });
    try {
      const { config } = parseConfig(
        parse(EXAMPLE_YAML.replace('secrets/acme.password', 'acme.password')),
        {
          BETA_CALLBACK_PASSWORD: 'beta-secret',
          GAMMA_PATH_TOKEN: 'gamma-path-token-0123456789',
          KAFKA_PASSWORD: 'kafka-secret',
          THINGSPACE_PASSWORD: 'uws-secret',
        },
        { baseDir: files.dir },
      );
      expect(config.accounts.map((account) => account.password?.reveal())).toEqual([
        'acme-secret',
        'beta-secret',
        undefined,
      ]);
      expect(config.accounts[2]?.pathToken?.reveal()).toBe('gamma-path-token-0123456789');
      expect(config.thingspace?.password.reveal()).toBe('uws-secret');
    } finally {
      files.cleanup();
    }
  });
});
