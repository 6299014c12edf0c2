import { hostname } from 'node:os';
import { parseConfig } from '../../../src/config';
import { minimal, problems } from './helpers';
import { DEFAULT_KIND_PRIORITY } from '../../../src/thingspace/partition-key';

describe('parseConfig: defaults', () => {
  const { config, warnings } = parseConfig(minimal(), {});

  it('fills every section with its documented default', () => {
    expect(config.node).toBe(hostname());
    expect(config.http).toEqual({
      port: 8080,
      host: '0.0.0.0',
      maxBodyBytes: 1024 * 1024,
      bodyTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      shutdownGraceMs: 25_000,
      trustProxy: 0,
      allowedSources: [],
      listenBacklog: 4096,
      admission: {
        enabled: true,
        maxInFlight: 256,
        maxEventLoopDelayMs: 0,
        retryAfterSeconds: 1,
        shedDelayMs: 500,
      },
    });
    expect(config.services).toEqual({});
    expect(config.accounts[0]).toMatchObject({ name: 'acme', services: ['*'], allowEmptyCredentials: [] });
    expect(config.kafka).toEqual({
      brokers: ['kafka-1:9092'],
      clientId: 'thingspace-bridge',
      client: 'platformatic',
      tls: { enabled: false },
      topics: {
        asyncResponses: 'thingspace.async-responses',
        externalChanges: 'thingspace.external-changes',
        deviceOriginated: 'thingspace.device-originated',
        deadLetter: 'thingspace.dead-letter',
      },
      createTopics: false,
      newTopics: { numPartitions: 6, replicationFactor: -1 },
      producer: {
        lingerMs: 0,
        maxBatchRecords: 500,
        maxBatchBytes: 1_000_000,
        maxQueuedRecords: 10_000,
        maxQueuedBytes: 64 * 1024 * 1024,
        deliveryTimeoutMs: 10_000,
      },
    });
    expect(config.schemaRegistry).toEqual({ url: 'http://registry:8081', registerSchemas: false });
    // The order itself is the partition key's contract, pinned in test/unit/thingspace/partition-key.test.ts.
    expect(config.normalize.kindPriority).toEqual(DEFAULT_KIND_PRIORITY);
    expect(config.log).toEqual({ level: 'info' });
  });

  it('warns that an empty allow-list lets everyone in', () => {
    expect(warnings).toEqual([expect.stringContaining('http.allowedSources is empty')]);
  });

  it('is frozen all the way down', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka.producer)).toBe(true);
    expect(Object.isFrozen(config.accounts)).toBe(true);
    expect(Object.isFrozen(config.accounts[0])).toBe(true);
    expect(Object.isFrozen(config.normalize.kindPriority)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('leaves the caller’s object alone', () => {
    const input = minimal();
    const before = JSON.stringify(input);
    parseConfig(input, { BRIDGE_PORT: '9001' });
    expect(JSON.stringify(input)).toBe(before);
    expect(Object.isFrozen(input)).toBe(false);
  });
});

describe('parseConfig: env overrides', () => {
  it('replace the file’s brokers, registry URL and port', () => {
    const { config } = parseConfig(minimal(), {
      KAFKA_BROKERS: ' a:9092, b:9093 ,,',
      SCHEMA_REGISTRY_URL: 'https://registry.example.com/apis/ccompat/v7',
      BRIDGE_PORT: '9001',
    });
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(config.schemaRegistry.url).toBe('https://registry.example.com/apis/ccompat/v7');
    expect(config.http.port).toBe(9001);
  });

  it('supply what the file leaves out', () => {
    const { accounts } = minimal();
    const { config } = parseConfig(
      { accounts },
      { KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://r' },
    );
    expect(config.kafka.brokers).toEqual(['k:9092']);
    expect(config.schemaRegistry.url).toBe('http://r');
  });

  it('count as unset when empty', () => {
    const { config } = parseConfig(minimal(), { KAFKA_BROKERS: '', BRIDGE_PORT: '' });
    expect(config.kafka.brokers).toEqual(['kafka-1:9092']);
    expect(config.http.port).toBe(8080);
  });

  it('are named in the problems their values cause', () => {
    expect(
      problems(minimal(), { BRIDGE_PORT: '80a', KAFKA_BROKERS: 'nohost', SCHEMA_REGISTRY_URL: 'x' }),
    ).toEqual([
      'http.port: expected a number, got a string (from BRIDGE_PORT)',
      'kafka.brokers[0]: expected host:port ([v6::addr]:port for IPv6) (from KAFKA_BROKERS)',
      'schemaRegistry.url: expected an http(s) URL (from SCHEMA_REGISTRY_URL)',
    ]);
  });

  it('are suggested when the keys they replace are missing', () => {
    const { accounts } = minimal();
    expect(problems({ accounts })).toEqual([
      'kafka: required: give kafka.brokers or set KAFKA_BROKERS',
      'schemaRegistry: required: give schemaRegistry.url or set SCHEMA_REGISTRY_URL',
    ]);
    expect(problems({ accounts, kafka: {}, schemaRegistry: {} })).toEqual([
      'kafka.brokers: required: list the brokers here or set KAFKA_BROKERS',
      'schemaRegistry.url: required: give the URL here or set SCHEMA_REGISTRY_URL',
    ]);
  });
});

describe('parseConfig: every problem at once, each with its path', () => {
  it('reports type errors, unknown keys and rule violations in one ConfigError', () => {
    const input = {
      node: '',
      http: {
        port: 70000,
        bodyTimeoutMs: 100,
        requestTimeoutMs: 50,
        allowedSources: ['10.0.0.0/33'],
        extra: 1,
      },
      services: { CarrierService: { port: 9001, enabled: 'yes' } },
      accounts: [
        { name: 'acme', username: 'acme-user', services: ['*', 'CarrierService'] },
        { name: 12345, username: ' padded', password: 'p', services: [] },
      ],
      kafka: {
        brokers: [],
        tls: { caFile: 'ca.pem' },
        topics: { deadLetter: 'bad topic' },
        producer: { lingerMs: -1 },
      },
      schemaRegistry: { url: 'ftp://registry' },
      normalize: { kindPriority: ['IMEI'] },
      log: { level: 'loud' },
      surprise: true,
    };
    expect(problems(input, {}, '/nonexistent')).toEqual([
      expect.stringMatching(/^node: /),
      expect.stringMatching(/^http\.port: /),
      expect.stringMatching(/^http\.allowedSources\[0\]: expected an IPv4\/IPv6 address or CIDR$/),
      'http.extra: unknown key',
      'http.requestTimeoutMs: must be at least bodyTimeoutMs',
      expect.stringMatching(/^services\.CarrierService\.enabled: expected a boolean/),
      'accounts[0].services: "*" must be the only entry',
      'accounts[0].password: one of password, passwordFile, passwordEnv is required',
      'accounts[1].name: expected a string, got a number (quote it in YAML)',
      'accounts[1].username: must not start or end with whitespace',
      expect.stringMatching(/^accounts\[1\]\.services: /),
      expect.stringMatching(/^kafka\.brokers: /),
      'kafka.tls.enabled: must be true when caFile is given',
      'kafka.tls.caFile: cannot read /nonexistent/ca.pem (ENOENT)',
      expect.stringMatching(/^kafka\.topics\.deadLetter: expected a Kafka topic name/),
      expect.stringMatching(/^kafka\.producer\.lingerMs: /),
      'schemaRegistry.url: expected an http(s) URL',
      expect.stringMatching(/^normalize\.kindPriority\[0\]: /),
      expect.stringMatching(/^log\.level: /),
      'surprise: unknown key',
    ]);
  });

  it('prints them all in the error message', () => {
    expect(() => parseConfig({ ...minimal(), log: { level: 'loud' }, extra: 1 }, {})).toThrow(
      /invalid configuration \(2 problems\):\n {2}log\.level: .*\n {2}extra: unknown key/,
    );
  });

  it('refuses a top level that is not a mapping', () => {
    expect(problems(['a'])).toEqual([': expected a mapping, got a list']);
  });
});

describe('parseConfig: rules across fields', () => {
  const account = (over: Record<string, unknown>) => ({
    name: 'acme',
    username: 'acme-user',
    password: 'p',
    services: ['*'],
    ...over,
  });

  it('wants account names and usernames unique, without echoing the username', () => {
    const found = problems({
      ...minimal(),
      accounts: [account({}), account({ username: 'other' }), account({ name: 'beta' })],
    });
    expect(found).toEqual([
      'accounts[1].name: same name as accounts[0].name',
      'accounts[2].username: same username as accounts[0]',
    ]);
  });

  it('still checks the sound accounts when another one is broken', () => {
    const found = problems({
      ...minimal(),
      accounts: [account({}), account({ name: 7 }), account({ name: 'beta' })],
    });
    expect(found).toEqual([
      'accounts[1].name: expected a string, got a number (quote it in YAML)',
      'accounts[2].username: same username as accounts[0]',
    ]);
  });

  it('wants a username with a password, and one or both of them or a path token', () => {
    const token = 'dGVzdC10b2tlbi1mb3Itc2NoZW1h';
    expect(
      problems({
        ...minimal(),
        accounts: [
          { name: 'a', username: 'a', services: ['*'] },
          { name: 'b', password: 'p', services: ['*'] },
          { name: 'c', services: ['*'] },
          { name: 'd', passwordEnv: 'NOT_SET', services: ['*'], pathToken: token },
        ],
      }),
    ).toEqual([
      'accounts[0].password: one of password, passwordFile, passwordEnv is required',
      'accounts[1].username: required with a password',
      'accounts[2].username: give a username and password, a pathToken, or both',
      'accounts[3].passwordEnv: environment variable NOT_SET is not set',
      'accounts[3].username: required with a password',
    ]);
    // A token alone, or with credentials.
    const { config } = parseConfig(
      {
        ...minimal(),
        accounts: [
          { name: 'a', services: ['*'], pathToken: token },
          account({ name: 'b', pathToken: `${token}-b` }),
        ],
      },
      {},
    );
    expect(config.accounts.map((entry) => [entry.name, entry.username, entry.password?.reveal()])).toEqual([
      ['a', undefined, undefined],
      ['b', 'acme-user', 'p'],
    ]);
  });

  it('lets one account per service accept empty credentials', () => {
    const found = problems({
      ...minimal(),
      accounts: [
        account({ services: ['PromoChange', 'DeviceUsage'], allowEmptyCredentials: ['PromoChanges'] }),
        account({ name: 'beta', username: 'beta', allowEmptyCredentials: ['DeviceUsage', 'promochange'] }),
      ],
    });
    expect(found).toEqual([
      'accounts[1].allowEmptyCredentials[1]: accounts[0] already accepts empty credentials for this service',
    ]);
  });

  it('accepts empty credentials only for services named explicitly among the account’s own', () => {
    const found = problems({
      ...minimal(),
      accounts: [
        account({ services: ['PromoChange'], allowEmptyCredentials: ['CarrierService'] }),
        account({ name: 'beta', username: 'beta', allowEmptyCredentials: ['*'] }),
      ],
    });
    expect(found).toEqual([
      "accounts[0].allowEmptyCredentials[0]: not among this account's services",
      'accounts[1].allowEmptyCredentials[0]: name each service; "*" is not accepted here',
    ]);
  });

  it('accepts an account that allows empty credentials for one of its services', () => {
    const { config } = parseConfig(
      {
        ...minimal(),
        accounts: [account({ services: ['PromoChange'], allowEmptyCredentials: ['promochange'] })],
      },
      {},
    );
    expect(config.accounts[0]?.allowEmptyCredentials).toEqual(['promochange']);
  });

  it('refuses a service listed twice, in any case or spelling', () => {
    const twice = 'listed twice (names compare case-insensitively, other spellings included)';
    expect(
      problems({
        ...minimal(),
        accounts: [account({ services: ['PromoChange', 'promochange', 'PromoChanges'] })],
      }),
    ).toEqual([`accounts[0].services[1]: ${twice}`, `accounts[0].services[2]: ${twice}`]);
    expect(problems({ ...minimal(), services: { PromoChange: {}, PROMOCHANGES: {} } })).toEqual([
      'services.PROMOCHANGES: same service as services.PromoChange (names compare case-insensitively, other spellings included)',
    ]);
  });

  it('takes service names it does not know, in case ThingSpace adds one', () => {
    const { config } = parseConfig(
      {
        ...minimal(),
        services: { SomeFutureService: { port: 9003 } },
        accounts: [account({ services: ['SomeFutureService'] })],
      },
      {},
    );
    expect(config.services.SomeFutureService?.port).toBe(9003);
  });

  it('refuses two listeners on one port, but not two that ask for a free one', () => {
    const found = problems({
      ...minimal(),
      http: { port: 9001 },
      services: { CarrierService: { port: 9001 }, DeviceUsage: { port: 9002 }, PromoChange: { port: 9002 } },
    });
    expect(found).toEqual([
      'services.CarrierService.port: same port as http.port',
      'services.PromoChange.port: same port as services.DeviceUsage.port',
    ]);
    expect(problems({ ...minimal(), http: { port: 9001, healthPort: 9005, metricsPort: 9005 } })).toEqual([
      'http.metricsPort: same port as http.healthPort',
    ]);
    const { config } = parseConfig(
      { ...minimal(), http: { port: 0 }, services: { CarrierService: { port: 0 } } },
      {},
    );
    expect(config.services.CarrierService).toEqual({ port: 0, enabled: true });
  });

  it('wants the four topics distinct', () => {
    expect(
      problems({
        ...minimal(),
        kafka: { brokers: ['k:1'], topics: { deadLetter: 'thingspace.async-responses' } },
      }),
    ).toEqual(['kafka.topics.deadLetter: same topic as kafka.topics.asyncResponses']);
  });

  it('wants the producer queue to hold at least one batch', () => {
    expect(
      problems({
        ...minimal(),
        kafka: { brokers: ['k:1'], producer: { maxBatchRecords: 100, maxQueuedRecords: 10 } },
      }),
    ).toEqual(['kafka.producer.maxQueuedRecords: must be at least maxBatchRecords']);
  });

  it('keeps credentials out of the registry URL', () => {
    expect(problems({ ...minimal(), schemaRegistry: { url: 'https://user:secret@registry' } })).toEqual([
      'schemaRegistry.url: must not hold credentials (URLs get logged)',
    ]);
  });
});

describe('parseConfig: values it accepts', () => {
  it('parses the allow-list into CIDRs for the HTTP guard', () => {
    const { config, warnings } = parseConfig(
      { ...minimal(), http: { allowedSources: ['192.0.2.7', '10.0.0.0/8', '2001:db8::/32'] } },
      {},
    );
    expect(config.http.allowedSources).toEqual([
      { address: '192.0.2.7', prefix: 32, family: 'ipv4' },
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '2001:db8::', prefix: 32, family: 'ipv6' },
    ]);
    expect(warnings).toEqual([]);
  });

  it('takes IPv6 brokers in brackets', () => {
    const { config } = parseConfig(
      { ...minimal(), kafka: { brokers: ['[::1]:9092', 'kafka.local:19092'] } },
      {},
    );
    expect(config.kafka.brokers).toEqual(['[::1]:9092', 'kafka.local:19092']);
  });

  it('warns about a public URL on a port ThingSpace will not register, and about SASL plain in clear', () => {
    const { warnings } = parseConfig(
      {
        ...minimal(),
        http: { allowedSources: ['192.0.2.0/24'], publicBaseUrl: 'https://bridge.example.com:8443' },
        kafka: { brokers: ['k:1'], sasl: { mechanism: 'plain', username: 'u', password: 'p' } },
      },
      {},
    );
    expect(warnings).toEqual([
      expect.stringContaining('http.publicBaseUrl: ThingSpace does not register URLs on port 8443'),
      'kafka.sasl: mechanism plain without kafka.tls sends the SASL password in clear',
    ]);
    const ok = parseConfig(
      { ...minimal(), http: { allowedSources: ['192.0.2.1'], publicBaseUrl: 'https://bridge.example.com' } },
      {},
    );
    expect(ok.warnings).toEqual([]);
  });
});
