/**
 * What a replay runs through the pipeline again, read from either source: an archive record (the redacted body
 * as its value, the rest as headers: src/events/archive.ts) or a dead letter (all of it in its Avro value).
 */
import type { IHeaders } from 'kafkajs';
import { ARCHIVE_HEADERS, type ArchiveEntry, type ReplaySource } from '../events/archive';
import type { DeadLetter } from '../events/types';
import type { WireFormat } from '../message/types';

/**
 * An archived callback as the archive wrote it (minus what became of it), wherever it was read from. Its eventId
 * is the one it was given when received: the replayed event keeps it.
 */
export interface ReplayInput extends Omit<ArchiveEntry, 'outcome'> {
  source: ReplaySource;
}

/** A record of the source that is not what the bridge writes there; skipped and counted, never guessed at. */
export class UnreadableRecordError extends Error {
  override readonly name = 'UnreadableRecordError';
}

const FORMATS: ReadonlySet<string> = new Set<WireFormat>(['soap', 'rest']);

export function archivedInput(value: Buffer | null, headers: IHeaders | undefined): ReplayInput {
  if (value === null) throw new UnreadableRecordError('an archive record without a value');
  const header = (name: string): string => {
    const raw = headers?.[name];
    const text = Array.isArray(raw) ? undefined : raw?.toString('utf8');
    if (text === undefined || text === '') {
      throw new UnreadableRecordError(`an archive record without its ${name} header`);
    }
    return text;
  };
  const receivedAt = new Date(header(ARCHIVE_HEADERS.receivedAt));
  if (Number.isNaN(receivedAt.getTime())) {
    throw new UnreadableRecordError(`an archive record whose ${ARCHIVE_HEADERS.receivedAt} is not a time`);
  }
  return {
    source: 'archive',
    service: header(ARCHIVE_HEADERS.service),
    format: formatOf(header(ARCHIVE_HEADERS.format)),
    accountName: header(ARCHIVE_HEADERS.accountName),
    receivedAt,
    ingressNode: header(ARCHIVE_HEADERS.ingressNode),
    eventId: header(ARCHIVE_HEADERS.eventId),
    body: value.toString('utf8'),
  };
}

/** A dead letter as the registry decoded it; `format` is absent from letters written before contract v2. */
export function deadLetterInput(letter: Partial<DeadLetter>): ReplayInput {
  const { eventId, service, accountName, receivedAt, ingressNode, redactedXml } = letter;
  if (
    typeof eventId !== 'string' ||
    typeof service !== 'string' ||
    typeof accountName !== 'string' ||
    typeof receivedAt !== 'number' ||
    typeof ingressNode !== 'string' ||
    typeof redactedXml !== 'string'
  ) {
    throw new UnreadableRecordError('a dead letter without the fields of the contract');
  }
  return {
    source: 'dead-letter',
    service,
    format: formatOf(letter.format ?? 'soap'),
    accountName,
    receivedAt: new Date(receivedAt),
    ingressNode,
    eventId,
    body: redactedXml,
  };
}

function formatOf(text: string): WireFormat {
  if (!FORMATS.has(text)) throw new UnreadableRecordError(`an unknown wire format '${text}'`);
  return text as WireFormat;
}
