/**
 * The Kafka key: same device, same partition, so consumers see each device's events in arrival order
 * (ARCHITECTURE.md, the event contract).
 */
import { DEVICE_KINDS } from './devices';
import type { Device } from '../events/types';

/** The partition key's default kind preference: DEVICE_KINDS's order. */
export const DEFAULT_KIND_PRIORITY: readonly string[] = DEVICE_KINDS;

export interface KeyCandidates {
  /** The message's own `Device` elements. */
  devices: readonly Device[];
  /** Identifiers found inside the payload, for messages without `Device` (THINGSPACE.md §2). */
  payloadDevices: readonly Device[];
  requestId: string | undefined;
  eventId: string;
}

/**
 * The device to key by: the first one of the highest-priority kind; failing that (kinds the priority does not
 * list), the first in document order. Devices missing a kind or an identifier cannot name a partition.
 */
export function preferredDevice(
  devices: readonly Device[],
  kindPriority: readonly string[],
): Device | undefined {
  const usable = devices.filter((device) => device.kind !== '' && device.identifier !== '');
  for (const kind of kindPriority) {
    const device = usable.find((candidate) => candidate.kind === kind);
    if (device) return device;
  }
  return usable[0];
}

/**
 * `kind:identifier` of the preferred device, from `Device` elements first, then from the payload; with none,
 * `request:<RequestId>` (the devices of one request then share a partition); with no RequestId either, which
 * no documented message lacks together with devices, `event:<eventId>`, at least stable across re-sends.
 */
export function partitionKey(
  candidates: KeyCandidates,
  kindPriority: readonly string[] = DEFAULT_KIND_PRIORITY,
): string {
  const device =
    preferredDevice(candidates.devices, kindPriority) ??
    preferredDevice(candidates.payloadDevices, kindPriority);
  if (device) return `${device.kind}:${device.identifier}`;
  if (candidates.requestId) return `request:${candidates.requestId}`;
  return `event:${candidates.eventId}`;
}
