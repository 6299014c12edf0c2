import { BridgeError } from '../../../src/errors';
import {
  DeliveryTimeoutError,
  KafkaUnavailableError,
  MissingTopicsError,
  QueueFullError,
  SchemaResolutionError,
  ShuttingDownError,
} from '../../../src/kafka/errors';

describe('kafka errors', () => {
  // The stable facts dashboards, alerts and the SOAP fault writer rely on.
  it.each([
    [new QueueFullError(3), 'QUEUE_FULL', 503, true, true],
    [new KafkaUnavailableError('down'), 'KAFKA_UNAVAILABLE', 503, true, true],
    [new DeliveryTimeoutError(10_000), 'DELIVERY_TIMEOUT', 503, true, true],
    [new ShuttingDownError(), 'SHUTTING_DOWN', 503, true, true],
    [new MissingTopicsError(['a'], 'creation disabled'), 'TOPICS_MISSING', 503, false, false],
    [
      new SchemaResolutionError([{ subject: 's-value', reason: 'nope', cause: undefined }]),
      'SCHEMA_UNRESOLVED',
      503,
      false,
      false,
    ],
  ])('%p has code %s, status %i, retriable %p, expose %p', (error, code, status, retriable, expose) => {
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.name).toBe(error.constructor.name);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.faultCode).toBe('Server');
    expect(error.retriable).toBe(retriable);
    expect(error.expose).toBe(expose);
  });

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
