/**
 * The mutations that make bad SOAP callbacks out of good ones: the parser's fuzz test
 * (test/unit/soap/fuzz.test.ts) and the adversarial run over HTTP (scripts/adversarial.ts).
 */
import { deleteSpan, duplicateSpan, flipByte, insertOneOf, truncate, type Mutation } from '../message/fuzz';

const INSERTS = [
  '<',
  '&',
  ']]>',
  '</',
  '/>',
  '<!--',
  '<![CDATA[',
  '&#0;',
  '&#x110000;',
  '&lol;',
  '<!DOCTYPE x>',
  '"',
  '\0',
  '\uFFFF',
];

/** Every tag (open, close or self-closing): duplicated, they make unbalanced or repeated elements. */
function tags(bytes: Buffer): [number, number][] {
  const found: [number, number][] = [];
  for (let at = bytes.indexOf(0x3c); at !== -1; at = bytes.indexOf(0x3c, at + 1)) {
    const end = bytes.indexOf(0x3e, at);
    if (end !== -1) found.push([at, end + 1]);
  }
  return found;
}

/** Every mutation, for a fuzz run of SOAP callbacks. */
export const SOAP_MUTATIONS: readonly Mutation[] = [
  flipByte,
  truncate,
  insertOneOf(INSERTS),
  deleteSpan,
  duplicateSpan('tag', tags),
];
