/**
 * The pipeline's steps in child spans of the callback's span (config `tracing`), and the callback's traceparent in
 * the headers of its record. Applied once, at boot, to the handler's dependencies: the handler itself is the same
 * with tracing on or off, and off it pays nothing (src/observability/tracing.ts).
 */
import { RECORD_HEADERS, type EncodedRecord, type EventEncoder } from '../events/encode';
import type { Tracing } from '../observability';
import type { WireFormat } from '../message/types';
import type { CallbackHandlerDeps, Parser } from './handle-callback';
import { PARSERS } from './handle-callback';
import { normalize } from '../thingspace/normalize';

/** `deps` with parse, authenticate, normalize, encode and publish each in a span of its own. */
export function withStepSpans(deps: CallbackHandlerDeps, tracing: Tracing): CallbackHandlerDeps {
  const { authenticator, encoder, delivery } = deps;
  const parsers = deps.parsers ?? PARSERS;
  const normalizeStep = deps.normalize ?? normalize;
  const parse = (format: WireFormat): Parser => {
    const parser = parsers[format];
    return (body, limits) => tracing.step('parse', () => parser(body, limits));
  };
  return {
    ...deps,
    parsers: { soap: parse('soap'), rest: parse('rest') },
    authenticator: {
      authenticate: (...args) => tracing.step('authenticate', () => authenticator.authenticate(...args)),
    },
    normalize: (...args) => tracing.step('normalize', () => normalizeStep(...args)),
    encoder: tracedEncoder(encoder, tracing),
    delivery: {
      deliver: (record) =>
        tracing.step('publish', () => delivery.deliver(record), {
          'messaging.system': 'kafka',
          'messaging.destination.name': record.topic,
        }),
    },
  };
}

/** Encodes in an `encode` span, and adds the callback's traceparent to the record's headers. */
function tracedEncoder(encoder: EventEncoder, tracing: Tracing): EventEncoder {
  const withTraceparent = (record: EncodedRecord): EncodedRecord => {
    const traceparent = tracing.traceparent();
    if (traceparent !== undefined) (record.headers ??= {})[RECORD_HEADERS.traceparent] = traceparent;
    return record;
  };
  return {
    encodeEvent: (keyed) => tracing.step('encode', () => withTraceparent(encoder.encodeEvent(keyed))),
    encodeDeadLetter: (letter) =>
      tracing.step('encode', () => withTraceparent(encoder.encodeDeadLetter(letter))),
  };
}
