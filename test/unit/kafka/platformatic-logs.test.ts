import { Consumer, MultipleErrors, NetworkError, ProtocolError, ResponseError } from '@platformatic/kafka';
import { forwardPlatformaticLogs } from '../../../src/kafka/clients';
import { capturingLogger } from '../../support/logs';

/** A failed request's errors as the library gives them: the response's protocol errors in one ResponseError. */
const answered = (...ids: string[]) =>
  new ResponseError(
    12,
    4,
    Object.fromEntries(ids.map((id, i) => [`/${i}`, [new ProtocolError(id).apiCode, null]])),
    {},
  );

describe('forwardPlatformaticLogs', () => {
  let lines: string[];
  let consumer: Consumer;
  beforeEach(() => {
    lines = [];
    // Never connected: only its events are used.
    consumer = new Consumer({ clientId: 't', groupId: 'g', bootstrapBrokers: ['localhost:1'] });
    forwardPlatformaticLogs(consumer, capturingLogger({ level: 'debug' }, lines));
  });
  afterEach(() => consumer.close(true));

  const failed = (operation: string, ...errors: Error[]) =>
    consumer.emit('client:performWithRetry:failed', operation, 3, errors);
  const logged = () =>
    lines.map((line) => JSON.parse(line) as { level: string; operation: string; error: string });

  it.each([
    ['heartbeat', 'REBALANCE_IN_PROGRESS'],
    ['syncGroup', 'REBALANCE_IN_PROGRESS'],
    ['joinGroup', 'MEMBER_ID_REQUIRED'],
    ['heartbeat', 'ILLEGAL_GENERATION'],
    // A transaction's TxnOffsetCommit from a member a rebalance has moved past: fenced, the batch aborted.
    ['commit', 'ILLEGAL_GENERATION'],
  ])('logs %s answered %s (a rebalance at work, rejoined after) at info', (operation, id) => {
    failed(operation, answered(id));
    expect(logged().map(({ level, operation }) => ({ level, operation }))).toEqual([
      { level: 'info', operation },
    ]);
  });

  it('logs a group request that failed otherwise at error, even beside a rebalance answer', () => {
    failed('heartbeat', answered('COORDINATOR_NOT_AVAILABLE'));
    failed('joinGroup', answered('REBALANCE_IN_PROGRESS', 'GROUP_AUTHORIZATION_FAILED'));
    failed('joinGroup', new NetworkError('Connection closed'), answered('MEMBER_ID_REQUIRED'));
    failed('heartbeat', answered('UNKNOWN_MEMBER_ID'));
    failed('heartbeat', new MultipleErrors('no errors', []));
    expect(logged().map(({ level }) => level)).toEqual(Array(5).fill('error'));
  });

  it("logs a rebalance answer to a request that carries no member's generation at error", () => {
    failed('addPartitionsToTransaction', answered('ILLEGAL_GENERATION'));
    failed('fetch', answered('REBALANCE_IN_PROGRESS'));
    expect(logged().map(({ level }) => level)).toEqual(['error', 'error']);
  });
});
