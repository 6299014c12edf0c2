import {
  DeliveryTimeoutError,
  KafkaUnavailableError,
  MissingTopicsError,
  QueueFullError,
  SchemaResolutionError,
} from '../../../src/kafka/errors';

// Their codes, statuses and the rest of their rows: test/unit/errors.test.ts.
describe('kafka errors', () => {
  it('carries the Retry-After hint, the timeout, the missing topics and the failing subjects', () => {
    expect(new QueueFullError(3).retryAfterSeconds).toBe(3);
    expect(new DeliveryTimeoutError(250).message).toContain('250 ms');
    const missing = new MissingTopicsError(['t1', 't2'], 'creation disabled');
    expect(missing.topics).toEqual(['t1', 't2']);
    expect(missing.message).toContain('t1, t2');
    const unresolved = new SchemaResolutionError([
      { subject: 'a-value', reason: 'not registered', cause: undefined },
      { subject: 'b-value', reason: 'incompatible', cause: undefined },
    ]);
    expect(unresolved.message).toContain('a-value (not registered)');
    expect(unresolved.message).toContain('b-value (incompatible)');
  });

  it('keeps the cause', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new KafkaUnavailableError('down', { cause }).cause).toBe(cause);
  });
});
