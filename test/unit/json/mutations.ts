/**
 * The mutations that make bad JSON callbacks out of good ones, for the JSON fuzz tests: the parser's
 * (test/unit/json/fuzz.test.ts) and the whole ingress's over HTTP (test/unit/http/json-fuzz.test.ts).
 */
import { deleteSpan, duplicateSpan, flipByte, insertOneOf, truncate, type Mutation } from '../message/fuzz';

const INSERTS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ',',
  ':',
  '\\',
  '\\u',
  '\\ud800',
  '-',
  '0',
  'é',
  '€',
  '😀',
  '\u0000',
  '\n',
  '\uFEFF',
];

/** From each key's opening quote to the comma after its member: duplicated, a repeated or broken member. */
function members(bytes: Buffer): [number, number][] {
  const found: [number, number][] = [];
  for (let at = bytes.indexOf(0x22); at !== -1; at = bytes.indexOf(0x22, at + 1)) {
    const before = bytes.subarray(0, at).toString('latin1').trimEnd().at(-1);
    const comma = bytes.indexOf(0x2c, at);
    if ((before === '{' || before === ',') && comma !== -1) found.push([at, comma + 1]);
  }
  return found;
}

/** Nested arrays or objects around a null, put where a value may be (after a ':') or anywhere. */
export const deepNesting: Mutation = (bytes, random) => {
  const levels = 1 + random(100);
  const [open, close] = random(2) === 0 ? ['[', ']'] : ['{"n":', '}'];
  const colons: number[] = [];
  for (let at = bytes.indexOf(0x3a); at !== -1; at = bytes.indexOf(0x3a, at + 1)) colons.push(at + 1);
  const at =
    random(2) === 0 && colons.length > 0
      ? (colons[random(colons.length)] as number)
      : random(bytes.length + 1);
  const nested = Buffer.from(`${open.repeat(levels)}null${close.repeat(levels)}`);
  return [`nest ${levels} deep at ${at}`, Buffer.concat([bytes.subarray(0, at), nested, bytes.subarray(at)])];
};

const REPLACEMENTS = ['1', '-0.5', 'true', 'null', '{}', '[]', '"x"', '{"kind":"mdn"}', '"4"'];

/** A string value that follows a ':' replaced by another value: credentials, counters and fields of other types. */
export const replaceValue: Mutation = (bytes, random) => {
  const values: [number, number][] = [];
  for (let at = bytes.indexOf(0x3a); at !== -1; at = bytes.indexOf(0x3a, at + 1)) {
    let from = at + 1;
    while (bytes[from] === 0x20) from++;
    const to = bytes[from] === 0x22 ? bytes.indexOf(0x22, from + 1) : -1;
    if (to !== -1) values.push([from, to + 1]);
  }
  const [from, to] = values[random(values.length)] ?? [0, 0];
  const value = REPLACEMENTS[random(REPLACEMENTS.length)] as string;
  return [
    `replace ${from}-${to} by ${value}`,
    Buffer.concat([bytes.subarray(0, from), Buffer.from(value), bytes.subarray(to)]),
  ];
};

/** The message inside an array or a string: a top level that is no object. */
export const wrap: Mutation = (bytes, random) => {
  const [open, close] = random(2) === 0 ? ['[', ']'] : ['"', '"'];
  return [`wrap in ${open}${close}`, Buffer.concat([Buffer.from(open), bytes, Buffer.from(close)])];
};

/** Every mutation, for a fuzz run of JSON callbacks. */
export const JSON_MUTATIONS: readonly Mutation[] = [
  flipByte,
  truncate,
  insertOneOf(INSERTS),
  deleteSpan,
  duplicateSpan('member', members),
  deepNesting,
  replaceValue,
  wrap,
];
