/** A logger with the bridge's serializers and redaction whose JSON lines land in an array a test reads. */
import { Writable } from 'node:stream';
import type { LogConfig } from '../../src/config';
import { createLogger, type Logger } from '../../src/observability';

export function capturingLogger(config: LogConfig, lines: string[]): Logger {
  return createLogger(
    config,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    }),
  );
}
