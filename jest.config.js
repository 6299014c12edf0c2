// Four projects: `unit` (pure code, no servers), `integration` (a real Kafka broker and schema registry,
// provided by test/infra/global-setup.ts; jest runs a project's global setup only when one of its tests runs),
// `cluster` (the fault tests on a three-node Kafka cluster each file starts for itself, about 6 minutes) and
// `examples` (the consumer guide's Python, Java and TypeScript examples, run against the integration servers; a
// first run installs their dependencies). The last two run by `npm run test:cluster` / `test:examples` and CI,
// not by `npm test`, which selects the first two.
/** @type {import('ts-jest').TsJestTransformerOptions} */
const tsJest = { tsconfig: 'tsconfig.json' };
const transform = { '^.+\\.ts$': ['ts-jest', tsJest] };
/** The `cluster` project's files, kept out of `integration`. */
const clusterTests = ['/test/integration/faults/cluster.test.ts'];

/** @type {import('jest').Config} */
module.exports = {
  // Integration tests start consumers and wait for real brokers; unit tests finish far below this.
  testTimeout: 60_000,
  // With --coverage (CI: `npm test -- --coverage`): every file of src/ counts, tested or not, unit and integration
  // together; below these the run fails. Child processes (serve under the fault tests) are not measured.
  collectCoverageFrom: ['<rootDir>/src/**/*.ts'],
  coverageThreshold: { global: { lines: 90, branches: 85 } },
  // The integration project's audit of every `*.deduped` topic, made by its global teardown, as a test result.
  testResultsProcessor: '<rootDir>/test/infra/audit-results.js',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...clusterTests],
      setupFiles: ['<rootDir>/src/kafka/kafkajs-timer-warning.ts'],
      globalSetup: '<rootDir>/test/infra/global-setup.ts',
      globalTeardown: '<rootDir>/test/infra/global-teardown.ts',
      slowTestThreshold: 30,
    },
    {
      displayName: 'examples',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/examples/**/*.test.ts'],
      setupFiles: ['<rootDir>/src/kafka/kafkajs-timer-warning.ts'],
      globalSetup: '<rootDir>/test/infra/global-setup.ts',
      globalTeardown: '<rootDir>/test/infra/global-teardown.ts',
      slowTestThreshold: 120,
    },
    {
      displayName: 'cluster',
      testEnvironment: 'node',
      transform,
      testMatch: clusterTests.map((file) => `<rootDir>${file}`),
      setupFiles: ['<rootDir>/src/kafka/kafkajs-timer-warning.ts'],
      slowTestThreshold: 120,
    },
  ],
};
