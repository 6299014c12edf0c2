import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirs } from '../../../support/temp';
import { MAX_BROKERS, stackUp } from '../../../infra/stack/stack';

const tempDir = tempDirs('stack-brokers-');

describe('the stack size (brokers, STACK_KAFKA_BROKERS)', () => {
  it.each([0, MAX_BROKERS + 1, 1.5, 'three'])(
    'refuses %p before it starts or writes anything',
    async (brokers) => {
      const stackDir = tempDir('stack-');
      const saved = { brokers: process.env.STACK_KAFKA_BROKERS, java: process.env.JAVA_HOME };
      process.env.STACK_KAFKA_BROKERS = String(brokers);
      // Should the check let it through, no java is found: the test fails without starting any server.
      process.env.JAVA_HOME = stackDir;
      try {
        await expect(stackUp({ stackDir, log: () => undefined })).rejects.toThrow(
          `STACK_KAFKA_BROKERS (brokers) must be a whole number from 1 to ${MAX_BROKERS}, not ${brokers}`,
        );
      } finally {
        restore('STACK_KAFKA_BROKERS', saved.brokers);
        restore('JAVA_HOME', saved.java);
      }
      expect(existsSync(join(stackDir, 'logs'))).toBe(false);
    },
  );
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
