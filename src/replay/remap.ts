/**
 * One replayed body through the current pipeline: parse -> normalize -> encode, as the ingress does, with the
 * account, service, receipt time, node and eventId it was received with, and without authentication (the
 * credentials were removed before it was stored, and it was authenticated when received). The record carries the
 * replay headers (src/events/archive.ts).
 *
 * The normalize step is a dependency, so a test can run a changed mapping through it.
 */
import { REPLAY_HEADERS } from '../events/archive';
import { recordBytes, type EncodedRecord, type EventEncoder } from '../events/encode';
import { EventTooLargeError } from '../ingress/errors';
import { PARSERS } from '../ingress/handle-callback';
import type { normalize as currentNormalize, NormalizeOptions } from '../thingspace/normalize';
import { MAPPING_VERSION } from '../thingspace/mapping-version';
import type { ReplayInput } from './inputs';

export interface RemapDeps {
  normalize: typeof currentNormalize;
  normalizeOptions: NormalizeOptions;
  encoder: EventEncoder;
  /** The largest record Kafka takes, as for the ingress: a larger event is unmappable. */
  maxRecordBytes: number;
  /** MAPPING_VERSION when absent. */
  mappingVersion?: number;
}

export type Remapped =
  | { ok: true; record: EncodedRecord }
  /** The current mapping cannot take it either (it would be dead-lettered again): not published. */
  | { ok: false; reason: unknown };

export type Remapper = (input: ReplayInput) => Promise<Remapped>;

export function createRemapper(deps: RemapDeps): Remapper {
  const headers = {
    [REPLAY_HEADERS.mappingVersion]: String(deps.mappingVersion ?? MAPPING_VERSION),
  };
  return async (input) => {
    try {
      const body = Buffer.from(input.body, 'utf8');
      // It passed the node's limits when received; its redacted form is no longer.
      const parsed = await PARSERS[input.format](body, { maxBodyBytes: Math.max(1, body.length) });
      const { service, accountName, receivedAt, ingressNode, eventId } = input;
      const normalized = deps.normalize(
        parsed,
        { service, accountName, receivedAt, ingressNode, eventId },
        deps.normalizeOptions,
      );
      const record = deps.encoder.encodeEvent(normalized);
      const bytes = recordBytes(record);
      if (bytes > deps.maxRecordBytes) throw new EventTooLargeError(bytes, deps.maxRecordBytes);
      return {
        ok: true,
        record: {
          ...record,
          headers: { ...record.headers, [REPLAY_HEADERS.replay]: input.source, ...headers },
        },
      };
    } catch (reason) {
      return { ok: false, reason };
    }
  };
}
