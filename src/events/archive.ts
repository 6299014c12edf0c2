/**
 * The raw archive's record (config `archive`): the body of an accepted callback exactly as it came, minus the
 * credentials' values, as the record's value (UTF-8 bytes, no schema: nothing is lost to a mapping), and what a
 * replay needs to run it through the pipeline again as headers. Keyed like the record it went with: the event's
 * partition key, or a dead letter's id, so a device's archive stays in order beside its events.
 *
 * Raw bytes rather than Avro: the body stays byte-exact, and the archive needs no schema of its own to evolve.
 */
import type { WireFormat } from '../message/types';
import type { EncodedRecord } from './encode';

/** Where the archive goes when `archive.topic` is not set; named like DEFAULT_TOPICS. */
export const DEFAULT_ARCHIVE_TOPIC = 'thingspace.archive';

/** The header names of an archive record: the contract `replay` reads, documented in the README. */
export const ARCHIVE_HEADERS = {
  service: 'service',
  format: 'format',
  accountName: 'account-name',
  /** ISO 8601, milliseconds, UTC: as the event's receivedAt. */
  receivedAt: 'received-at',
  ingressNode: 'ingress-node',
  eventId: 'event-id',
  contentType: 'content-type',
  /** What became of the callback: `published` or `dead-lettered`. */
  outcome: 'outcome',
} as const;

export type ArchiveOutcome = 'published' | 'dead-lettered';

/** One accepted callback as archived. */
export interface ArchiveEntry {
  service: string;
  format: WireFormat;
  accountName: string;
  receivedAt: Date;
  ingressNode: string;
  eventId: string;
  outcome: ArchiveOutcome;
  /** The body with the credentials' values removed (ParsedCallback.redacted). */
  body: string;
}

/** The content type of the archived bytes: the redacted body in its own format, as UTF-8. */
const CONTENT_TYPES: Readonly<Record<WireFormat, string>> = {
  soap: 'text/xml; charset=utf-8',
  rest: 'application/json; charset=utf-8',
};

export type ArchiveEncoder = (entry: ArchiveEntry, key: string) => EncodedRecord;

export function createArchiveEncoder(topic: string): ArchiveEncoder {
  return (entry, key) => ({
    topic,
    key,
    value: Buffer.from(entry.body, 'utf8'),
    eventId: entry.eventId,
    timestamp: entry.receivedAt.getTime(),
    headers: {
      [ARCHIVE_HEADERS.service]: entry.service,
      [ARCHIVE_HEADERS.format]: entry.format,
      [ARCHIVE_HEADERS.accountName]: entry.accountName,
      [ARCHIVE_HEADERS.receivedAt]: entry.receivedAt.toISOString(),
      [ARCHIVE_HEADERS.ingressNode]: entry.ingressNode,
      [ARCHIVE_HEADERS.eventId]: entry.eventId,
      [ARCHIVE_HEADERS.contentType]: CONTENT_TYPES[entry.format],
      [ARCHIVE_HEADERS.outcome]: entry.outcome,
    },
  });
}

/**
 * The headers of a replayed event (src/replay/): the value is an ordinary event of its topic, with the eventId it
 * had, so a consumer that deduplicates by eventId should let a record with these headers through as a correction.
 */
export const REPLAY_HEADERS = {
  /** Where the replayed body came from: `archive` or `dead-letter`. */
  replay: 'replay',
  /** The MAPPING_VERSION (src/thingspace/mapping-version.ts) that made the event. */
  mappingVersion: 'mapping-version',
} as const;

export type ReplaySource = 'archive' | 'dead-letter';
