/**
 * One callback through the pipeline, in one direction:
 *
 *   body -> parse -> authenticate -> normalize -> encode -> deliver -> HandledCallback
 *
 * The parse step is the wire format's parser (SOAP or JSON), as the HTTP layer read the request; every later
 * step reads the format-neutral ParsedCallback.
 *
 * Every failure is a BridgeError for the HTTP layer to answer (src/http/app.ts), except one: a message that was
 * authenticated but cannot be normalized or encoded goes to the dead-letter topic and is acknowledged, because
 * nothing authenticated may be lost and ThingSpace re-sending it would not make it readable.
 *
 * With the archive (config `archive`), the redacted body goes along with its event or dead letter: both handed
 * to the delivery in the same tick, so they share a batch (or go to the spool one after the other), and the
 * callback is acknowledged only once both are held.
 */
import type { Authenticator, AuthFailureReason, PathAccount } from '../auth';
import type { ArchiveEncoder, ArchiveEntry } from '../events/archive';
import { recordBytes, type EventEncoder, type EncodedRecord } from '../events/encode';
import { deadLetterIdOf } from '../thingspace/event-id';
import { normalize, type NormalizeOptions } from '../thingspace/normalize';
import type { Delivery, Receipt } from '../kafka/delivery';
import { BridgeError, type ErrorCode } from '../errors';
import { parseJsonCallback } from '../json/parser';
import type { CallbackBody } from '../message/body';
import type { ParserLimits } from '../message/limits';
import type { ParsedCallback, WireFormat } from '../message/types';
import { parseCallback } from '../soap/parser';
import type { Anomaly } from '../thingspace/anomalies';
import type { ServiceName } from '../thingspace/catalogue';
import { EventTooLargeError } from './errors';

export interface IncomingCallback {
  /** The canonical service name the URL resolved to. */
  service: ServiceName;
  /** How the body is written: the HTTP layer decided from the Content-Type (src/http/wire-format.ts). */
  format: WireFormat;
  body: CallbackBody;
  receivedAt: Date;
  /** The account the URL's path token named, if it had one: authentication then checks against it alone. */
  pathAccount?: PathAccount;
}

export interface HandledCallback {
  outcome: 'published' | 'dead-lettered';
  eventId: string;
  accountName: string;
  /** Where the record is held: Kafka or the spool. */
  receipt: Receipt;
}

export interface CallbackHandlerDeps {
  parserLimits: Partial<ParserLimits>;
  authenticator: Pick<Authenticator, 'authenticate'>;
  normalizeOptions: NormalizeOptions;
  /** PARSERS and normalize unless given: tracing wraps them, as the other steps' dependencies (tracing.ts). */
  parsers?: Readonly<Record<WireFormat, Parser>>;
  normalize?: typeof normalize;
  encoder: EventEncoder;
  /** Kafka directly, or through the spool: src/kafka/delivery.ts. */
  delivery: Pick<Delivery, 'deliver'>;
  /** The largest record (key and value) Kafka takes: a larger event is dead-lettered, a larger dead letter 413. */
  maxRecordBytes: number;
  ingressNode: string;
  /** The archive's encoder when `archive.enabled`; absent, nothing more is done per callback. */
  archive?: ArchiveEncoder;
  /** Observers for metrics and logs; none of them may throw. */
  onAuthFailure?: (reason: AuthFailureReason) => void;
  onAnomalies?: (anomalies: readonly Anomaly[]) => void;
  onDeadLetter?: (reason: unknown, eventId: string) => void;
  /** A body too large for an archive record: its event is delivered, unarchived. */
  onArchiveTooLarge?: (eventId: string, bytes: number) => void;
  /** An authenticated callback the delivery refused (the error is then thrown, and answered with a 5xx). */
  onUndelivered?: (service: ServiceName, accountName: string, reason: unknown) => void;
}

export type CallbackHandler = (incoming: IncomingCallback) => Promise<HandledCallback>;

export type Parser = (body: CallbackBody, limits?: Partial<ParserLimits>) => Promise<ParsedCallback>;

/** One parser per wire format, with one signature and one result type. */
export const PARSERS: Readonly<Record<WireFormat, Parser>> = { soap: parseCallback, rest: parseJsonCallback };

export function createCallbackHandler(deps: CallbackHandlerDeps): CallbackHandler {
  const { authenticator, encoder, delivery, ingressNode, normalizeOptions, parserLimits, archive } = deps;
  const { parsers = PARSERS, normalize: normalizeStep = normalize } = deps;

  return async ({ service, format, body, receivedAt, pathAccount }) => {
    const parsed = await parsers[format](body, parserLimits);

    const auth = authenticator.authenticate(service, parsed.username, parsed.password, pathAccount);
    if (!auth.ok) {
      deps.onAuthFailure?.(auth.error.reason);
      throw auth.error;
    }
    const accountName = auth.account;

    let record: EncodedRecord;
    let outcome: HandledCallback['outcome'] = 'published';
    try {
      const normalized = normalizeStep(
        parsed,
        { service, accountName, receivedAt, ingressNode },
        normalizeOptions,
      );
      if (normalized.anomalies.length > 0) deps.onAnomalies?.(normalized.anomalies);
      record = encoder.encodeEvent(normalized);
      checkSize(record, deps.maxRecordBytes);
    } catch (reason) {
      record = deadLetter(encoder, parsed, service, accountName, receivedAt, ingressNode, reason);
      outcome = 'dead-lettered';
      deps.onDeadLetter?.(reason, record.eventId);
      checkSize(record, deps.maxRecordBytes);
    }

    const archived =
      archive &&
      archiveRecord(archive, record.key, deps, {
        service,
        format: parsed.format,
        accountName,
        receivedAt,
        ingressNode,
        eventId: record.eventId,
        outcome,
        body: parsed.redacted,
      });
    let receipt: Receipt;
    try {
      receipt =
        archived === undefined
          ? await delivery.deliver(record)
          : // Same tick, so same batch; the callback's receipt is its event's.
            (await Promise.all([delivery.deliver(record), delivery.deliver(archived)]))[0];
    } catch (reason) {
      deps.onUndelivered?.(service, accountName, reason);
      throw reason;
    }
    return { outcome, eventId: record.eventId, accountName, receipt };
  };
}

function deadLetter(
  encoder: EventEncoder,
  parsed: ParsedCallback,
  service: ServiceName,
  accountName: string,
  receivedAt: Date,
  ingressNode: string,
  reason: unknown,
): EncodedRecord {
  return encoder.encodeDeadLetter({
    eventId: deadLetterIdOf(accountName, service, parsed.redacted),
    service,
    accountName,
    receivedAt: receivedAt.getTime(),
    ingressNode,
    reasonCode: reasonCode(reason),
    // A BridgeError's message never holds credentials; anything else is a bug whose text we don't vouch for.
    reasonMessage: reason instanceof BridgeError ? reason.message : 'the message could not be normalized',
    redactedXml: parsed.redacted,
    format: parsed.format,
  });
}

/**
 * The archive record of what is about to be delivered, keyed as it is; undefined when it would exceed a Kafka
 * record. The event still goes: refusing a callback Kafka could take for the sake of its copy would lose it.
 */
function archiveRecord(
  archive: ArchiveEncoder,
  key: string,
  deps: Pick<CallbackHandlerDeps, 'maxRecordBytes' | 'onArchiveTooLarge'>,
  entry: ArchiveEntry,
): EncodedRecord | undefined {
  const record = archive(entry, key);
  const bytes = recordBytes(record);
  if (bytes <= deps.maxRecordBytes) return record;
  deps.onArchiveTooLarge?.(entry.eventId, bytes);
  return undefined;
}

function checkSize(record: EncodedRecord, maxBytes: number): void {
  const bytes = recordBytes(record);
  if (bytes > maxBytes) throw new EventTooLargeError(bytes, maxBytes);
}

function reasonCode(reason: unknown): ErrorCode {
  return reason instanceof BridgeError ? reason.code : 'NORMALIZE_FAILED';
}
