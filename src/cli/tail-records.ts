/**
 * What `tail` does with a decoded record: whether it passes the filters (--device, --service, --account,
 * --status), and how it is printed (--output json: one JSON object per line; pretty: one aligned line for a
 * person). Records are the bridge's events (src/events/types.ts) or dead letters; any other value passes no
 * filter and prints whole.
 */
import { findService } from '../thingspace/catalogue';

/** One record as printed: where it sits, its key, and the decoded Avro value. */
export interface TailedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** The record's timestamp, epoch ms. */
  timestamp: number;
  value: unknown;
}

/** Each list, when given, must match (any of its values); an absent list matches everything. */
export interface TailFilter {
  /** A device identifier, or kind:identifier (`mdn:5550000001`), as in the record's devices. */
  devices?: readonly string[];
  /** Canonical service names (resolve with `serviceFilter`). */
  services?: readonly string[];
  accounts?: readonly string[];
  /** The message's status (Success, Failed, Delivered, ...), in any case. */
  statuses?: readonly string[];
}

export type Output = 'json' | 'pretty';
export const OUTPUTS: readonly Output[] = ['json', 'pretty'];

/** The canonical names of the services given, or the first one the catalogue does not know. */
export function serviceFilter(names: readonly string[]): { services: string[] } | { unknown: string } {
  const services: string[] = [];
  for (const name of names) {
    const entry = findService(name);
    if (entry === undefined) return { unknown: name };
    services.push(entry.name);
  }
  return { services };
}

interface EventFields {
  service?: unknown;
  accountName?: unknown;
  status?: unknown;
  eventId?: unknown;
  devices?: unknown;
}

function fieldsOf(value: unknown): EventFields {
  return typeof value === 'object' && value !== null ? value : {};
}

function devicesOf(fields: EventFields): { kind: string; identifier: string }[] {
  if (!Array.isArray(fields.devices)) return [];
  return fields.devices.filter(
    (device): device is { kind: string; identifier: string } =>
      typeof (device as { identifier?: unknown }).identifier === 'string',
  );
}

export function matches(filter: TailFilter, record: TailedRecord): boolean {
  const fields = fieldsOf(record.value);
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const oneOf = (wanted: readonly string[] | undefined, actual: string | undefined, fold = false) =>
    wanted === undefined ||
    (actual !== undefined &&
      wanted.some((w) => (fold ? w.toLowerCase() === actual.toLowerCase() : w === actual)));
  if (!oneOf(filter.services, text(fields.service))) return false;
  if (!oneOf(filter.accounts, text(fields.accountName))) return false;
  if (!oneOf(filter.statuses, text(fields.status), true)) return false;
  if (filter.devices === undefined) return true;
  const wanted = filter.devices.map((device) => device.toLowerCase());
  return devicesOf(fields).some(({ kind, identifier }) =>
    [identifier, `${kind}:${identifier}`].some((name) => wanted.includes(name.toLowerCase())),
  );
}

export function formatRecord(record: TailedRecord, output: Output): string {
  return output === 'json' ? toJsonLine(record) : prettyLine(record);
}

/** JSON for decoded Avro: Dates as ISO strings, bytes as base64, longs as numbers where avsc gives bigint. */
export function toJsonLine(record: TailedRecord): string {
  return jsonOf(record);
}

function jsonOf(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, value: unknown) {
    // JSON.stringify has already called Buffer's toJSON ({type, data}) by now: look at the value as it was.
    const original = this[key];
    if (original instanceof Buffer) return original.toString('base64');
    if (typeof value === 'bigint') return Number(value);
    return value;
  });
}

/** time  topic/partition@offset  service  account  status  devices  eventId; other values as JSON. */
function prettyLine(record: TailedRecord): string {
  const fields = fieldsOf(record.value);
  const where = `${new Date(record.timestamp).toISOString()}  ${record.topic}/${record.partition}@${record.offset}`;
  if (typeof fields.eventId !== 'string' || typeof fields.service !== 'string') {
    return `${where}  key=${record.key ?? '-'}  ${jsonOf(record.value)}`;
  }
  const devices = devicesOf(fields).map(({ kind, identifier }) => `${kind}:${identifier}`);
  const show = (value: unknown) => (typeof value === 'string' && value !== '' ? value : '-');
  return [
    where,
    fields.service,
    `account=${show(fields.accountName)}`,
    `status=${show(fields.status)}`,
    `devices=${devices.length > 0 ? devices.join(',') : '-'}`,
    `eventId=${fields.eventId}`,
  ].join('  ');
}
