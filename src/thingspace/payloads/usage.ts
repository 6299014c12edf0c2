/*
 * "usageResponse": [
 *   { "deviceIds": [...], "bytesUsed": 4096, "smsUsed": 2, "source": "Raw Usage",
 *     "timestamp": "2026-02-01T00:00:00Z", "servicePlan": "...", "extendedAttributes": [...], ... },
 *   ...
 * ]
 * THINGSPACE.md §6 says usageResponse is a list; the item fields are those of Verizon's API SDK usage models
 * (Usage: bytesUsed, smsUsed, source, timestamp, servicePlan), so which of them the callback carries is a guess.
 * Whatever an item holds besides, or a list that is an object after all, stays in `other`.
 */
import { payloadOf } from '../../events/types';
import type { UsageEntry } from '../../events/types';
import type { ElementReader } from '../fields';
import type { ElementMapper } from './mapper';
import { deviceIdsOf, safeLong } from './values';

function readEntry(item: ElementReader): UsageEntry {
  return {
    devices: deviceIdsOf(item),
    bytesUsed: item.parsed('bytesUsed', safeLong),
    smsUsed: item.parsed('smsUsed', safeLong),
    source: item.text('source'),
    timestamp: item.text('timestamp'),
    servicePlan: item.text('servicePlan'),
  };
}

export const usage: ElementMapper = {
  elements: ['usageResponse'],
  map(list) {
    return payloadOf('UsageResult', { usages: list.items().map(readEntry), other: list.rest() });
  },
};
