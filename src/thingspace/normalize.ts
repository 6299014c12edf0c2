/**
 * The normalize step: ParsedCallback in, the event for Kafka out, with its category (hence topic) and key.
 * Pure: no I/O, no clock (receivedAt comes in), so the ingress and tests call it alike.
 */
import type { ParsedCallback } from '../message/types';
import { anomaliesOf } from './anomalies';
import type { Anomaly } from './anomalies';
import { resolveRoute } from './catalogue';
import type { KeyedEvent } from '../events/encode';
import { payloadNameOf } from '../events/types';
import type { GenericElement } from '../events/types';
import { normalizeDevice } from './devices';
import { toGeneric } from './payloads/generic';
import { findDevices } from './fields';
import { eventIdOf } from './event-id';
import { partitionKey } from './partition-key';

export interface NormalizeContext {
  /** The service name as the URL spelled it. */
  service: string;
  /** The account the credentials authenticated. */
  accountName: string;
  receivedAt: Date;
  ingressNode: string;
  /**
   * The id the callback was given when received, for a replay (src/replay/): kept, not computed again, so that
   * a consumer deduplicating by eventId sees the replayed event as the same callback, whatever the id's rules
   * (or the redaction of the replayed body) do meanwhile.
   */
  eventId?: string;
}

export interface NormalizeOptions {
  /** Device kinds in key preference order, lower-case; DEFAULT_KIND_PRIORITY when absent. */
  kindPriority?: readonly string[];
}

export interface NormalizedCallback extends KeyedEvent {
  /** For the ingress's metric; the event itself carries the data as it came. */
  anomalies: Anomaly[];
}

/**
 * Throws UnknownServiceError or UnexpectedRootError (src/thingspace/errors.ts) when the service and root name
 * no route; any message of a known route normalizes, whatever its payload holds.
 */
export function normalize(
  parsed: ParsedCallback,
  context: NormalizeContext,
  options: NormalizeOptions = {},
): NormalizedCallback {
  const route = resolveRoute(context.service, parsed.root);
  const devices = parsed.devices.map(normalizeDevice);
  const payloadDevices = findDevices(parsed.payload).map(normalizeDevice);
  const { payload, extraPayloads, category = route.category } = route.selectPayload(parsed);
  const eventId =
    context.eventId ??
    eventIdOf({
      format: parsed.format,
      accountName: context.accountName,
      service: route.service,
      root: parsed.root,
      requestId: parsed.requestId,
      devices,
      payload: parsed.payload,
      smsMessage: parsed.smsMessage,
      extra: parsed.extra,
      status: parsed.status,
    });
  const extraElements = parsed.extra.map(toGeneric);
  const generics = [...extraPayloads, ...extraElements];
  const payloadType = payload && payloadNameOf(payload);
  // A union value's one key is its branch (payloadOf).
  if (payloadType === 'GenericElement') generics.push(Object.values(payload!)[0] as GenericElement);
  return {
    category,
    key: partitionKey(
      { devices, payloadDevices, requestId: parsed.requestId, eventId },
      options.kindPriority,
    ),
    anomalies: anomaliesOf(parsed, [...devices, ...payloadDevices], generics),
    event: {
      eventId,
      service: route.service,
      category,
      accountName: context.accountName,
      requestId: parsed.requestId ?? null,
      devices,
      callbackCount: parsed.callbackCount ?? null,
      maxCallbackThreshold: parsed.maxCallbackThreshold ?? null,
      receivedAt: context.receivedAt.getTime(),
      ingressNode: context.ingressNode,
      payload,
      extraPayloads,
      extraElements,
      status: parsed.status ?? null,
      format: parsed.format,
      payloadType,
    },
  };
}
