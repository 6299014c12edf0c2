import { MultipleErrors, NetworkError, ProtocolError, TimeoutError } from '@platformatic/kafka';
import { abortReason } from '../../../src/dedupe/abort-reason';

describe('abortReason', () => {
  it.each([
    ['a refused connection', new NetworkError('Connection refused'), 'kafka-unavailable'],
    ['a timeout', new TimeoutError('Request timed out'), 'kafka-unavailable'],
    ['an old generation', new ProtocolError('ILLEGAL_GENERATION'), 'rebalance'],
    ['a fenced producer', new ProtocolError('PRODUCER_FENCED'), 'fenced'],
    ['another Kafka error', new ProtocolError('TOPIC_AUTHORIZATION_FAILED'), 'kafka-error'],
    ['anything else', new Error('boom'), 'internal'],
    ['not an error', 'text', 'internal'],
  ])('names %s', (_what, error, reason) => {
    expect(abortReason(error)).toBe(reason);
  });

  it('finds a Kafka error inside the library error that wraps it', () => {
    const wrapped = new MultipleErrors('Committing the transaction failed.', [
      new ProtocolError('ILLEGAL_GENERATION'),
    ]);
    expect(abortReason(wrapped)).toBe('rebalance');
    expect(abortReason(new Error('outer', { cause: new NetworkError('Connection closed') }))).toBe(
      'kafka-unavailable',
    );
  });
});
