import { BridgeError } from '../errors';

/**
 * The event, and even its dead letter, is larger than a Kafka record may be here (the broker would refuse it,
 * and ThingSpace would retry it in vain): the message is refused as too large. Deeply nested bodies cause it:
 * the generic payload's flattened paths repeat every ancestor for every leaf.
 */
export class EventTooLargeError extends BridgeError {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      'EVENT_TOO_LARGE',
      `the event would be ${bytes} bytes, more than the ${maxBytes} a Kafka record may be`,
    );
  }
}
