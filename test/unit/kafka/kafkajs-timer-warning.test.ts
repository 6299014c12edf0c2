import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Node's warning output of a script run in a child process: jest's sandboxed `process` would not show it. */
function warningsOf(script: string): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: join(__dirname, '../../..'),
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return result.stderr;
}

const NEGATIVE_TIMER = 'clearTimeout(setTimeout(() => undefined, -1795640009461));';
const OTHER_WARNING = "process.emitWarning('still shown', 'SomeOtherWarning');";

describe('kafkajs timer warning filter', () => {
  it('is needed: a negative timer delay (what kafkajs#1751 arms) prints a warning', () => {
    expect(warningsOf(NEGATIVE_TIMER)).toContain('TimeoutNegativeWarning');
  });

  it('drops that warning and lets every other through', () => {
    const stderr = warningsOf(
      `require('./src/kafka/kafkajs-timer-warning'); ${NEGATIVE_TIMER} ${OTHER_WARNING}`,
    );
    expect(stderr).not.toContain('TimeoutNegativeWarning');
    expect(stderr).toContain('SomeOtherWarning: still shown');
  });
});
