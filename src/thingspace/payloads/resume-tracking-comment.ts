/*
 * <Comment>Device will be auto resumed on - 3/15/2017 12:00:00 AM</Comment>       (SOAP, in Data)
 * "comment": "Device will be auto resumed on - 3/15/2017 12:00:00 AM"           (REST, top level, §6)
 * Free text (THINGSPACE.md §2): a US date and a 12-hour time, no zone. The text is always kept; the date is
 * also given as an ISO-8601 local date-time when the text holds one that is a real date.
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';

const US_DATE_TIME =
  /\b(?<month>\d{1,2})\/(?<day>\d{1,2})\/(?<year>\d{4})\s+(?<hour>\d{1,2}):(?<minute>\d{2})(?::(?<second>\d{2}))?\s*(?<half>[AP])M\b/i;

/**
 * `3/15/2017 12:00:00 AM` -> `2017-03-15T00:00:00`. Local, without an offset: the platform names no zone, and
 * inventing one (UTC, US Eastern) would shift the date for someone. Null when nothing valid is found.
 */
export function parseUsLocalDateTime(text: string): string | null {
  const parts = US_DATE_TIME.exec(text)?.groups;
  if (!parts) return null;
  const [year, month, day, hour, minute, second] = [
    parts.year,
    parts.month,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second ?? '0',
  ].map(Number) as [number, number, number, number, number, number];
  // A real calendar date: 2/30 rolls over to March, so reading the parts back catches it.
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day);
  const realDate = calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day;
  if (!realDate || hour < 1 || hour > 12 || minute > 59 || second > 59) return null;
  const hour24 = (hour % 12) + (parts.half?.toUpperCase() === 'P' ? 12 : 0);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${String(year).padStart(4, '0')}-${pad(month)}-${pad(day)}T${pad(hour24)}:${pad(minute)}:${pad(second)}`;
}

export const resumeTrackingComment: ElementMapper = {
  elements: ['Comment'],
  map(comment) {
    const text = comment.ownText();
    return payloadOf('ResumeTrackingComment', {
      comment: text,
      autoResumeLocalDateTime: parseUsLocalDateTime(text),
      other: comment.rest(),
    });
  },
};
