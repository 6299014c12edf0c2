import { parseJsonCallback } from '../../../src/json/parser';
import { positionAt, readJson, type JsonNode } from '../../../src/json/reader';
import { DEFAULT_PARSER_LIMITS } from '../../../src/message/limits';
import { rejection } from '../message/helpers';

/** The value of member "v" of `{"v": <json>}`, read. */
function valueOf(json: string) {
  return readJson(`{"v":${json}}`, { limits: DEFAULT_PARSER_LIMITS }).root.children[0]!;
}

/** The ParseError of `text` as a callback body, which must be `code`. */
function refusal(text: string, code: Parameters<typeof rejection>[1] = 'MALFORMED_JSON') {
  return rejection(parseJsonCallback(text), code);
}

describe('RFC 8259, strictly', () => {
  it.each([
    ['a trailing comma in an object', '{"a":1,}'],
    ['a trailing comma in an array', '{"a":[1,]}'],
    ['a comma alone', '{"a":[,]}'],
    ['two commas', '{"a":[1,,2]}'],
    ['a line comment', '{"a":1 // note\n}'],
    ['a block comment', '{/* note */"a":1}'],
    ['NaN', '{"a":NaN}'],
    ['Infinity', '{"a":Infinity}'],
    ['-Infinity', '{"a":-Infinity}'],
    ['a leading zero', '{"a":01}'],
    ['a negative leading zero', '{"a":-01}'],
    ['a plus sign', '{"a":+1}'],
    ['a bare fraction', '{"a":.5}'],
    ['a point without digits', '{"a":1.}'],
    ['an exponent without digits', '{"a":1e}'],
    ['an exponent with a sign only', '{"a":1e+}'],
    ['hex', '{"a":0x10}'],
    ['single quotes', "{'a':1}"],
    ['an unquoted key', '{a:1}'],
    ['a key that is not a string', '{1:1}'],
    ['True', '{"a":True}'],
    ['a cut literal', '{"a":nul}'],
    ['undefined', '{"a":undefined}'],
    ['a raw newline in a string', '{"a":"x\ny"}'],
    ['a raw tab in a string', '{"a":"x\ty"}'],
    ['a raw NUL in a string', '{"a":"x\u0000y"}'],
    ['an unknown escape', '{"a":"\\x41"}'],
    ['a short \\u escape', '{"a":"\\u41"}'],
    ['a \\u escape with a non-hex digit', '{"a":"\\u00g1"}'],
    ['an escaped lone high surrogate', '{"a":"\\ud83d"}'],
    ['an escaped high surrogate before a non-surrogate', '{"a":"\\ud83d\\u0041"}'],
    ['an escaped high surrogate before a raw character', '{"a":"\\ud83dx"}'],
    ['two escaped high surrogates', '{"a":"\\ud83d\\ud83d"}'],
    ['an escaped lone low surrogate', '{"a":"\\ude00"}'],
    ['an escaped lone surrogate in a key', '{"\\udfff":1}'],
    ['a missing colon', '{"a" 1}'],
    ['a missing comma', '{"a":1 "b":2}'],
    ['a missing comma in an array', '{"a":[1 2]}'],
    ['a mismatched bracket', '{"a":[1}'],
    ['an extra closing brace', '{"a":1}}'],
    ['two top-level values', '{"a":1}{"b":2}'],
    ['text after the value', '{"a":1} x'],
    ['an unterminated string', '{"a":"x'],
    ['an unterminated object', '{"a":1'],
    ['a cut member', '{"a":'],
    ['a lone brace', '{'],
    ['a non-breaking space as whitespace', '{\u00a0"a":1}'],
    ['a form feed as whitespace', '{\f"a":1}'],
    ['XML', '<?xml version="1.0"?><Envelope/>'],
  ])('refuses %s as MALFORMED_JSON', async (_, text) => {
    await refusal(text);
  });

  it('tells what was expected and where, never what was found', async () => {
    const error = await refusal('{\n  "username": "Inv3nted-U",\n  "password": Inv3nted-P\n}');
    expect(error.message).toBe('malformed JSON: expected a value (line 3, column 15)');
    expect(error.position).toEqual({ line: 3, column: 15 });
    expect((await refusal('{"password":"Inv3nted-P"')).message).toBe(
      "malformed JSON: the body ends early (expected ',' or '}' after a member) (line 1, column 25)",
    );
    expect((await refusal('{"a":"Inv3nted-P')).message).toBe(
      'malformed JSON: the body ends inside a string (line 1, column 6)',
    );
  });

  it('accepts the escapes, surrogate pairs among them, and decodes them', () => {
    expect(valueOf('"\\"\\\\\\/\\b\\f\\n\\r\\t"').text).toBe('"\\/\b\f\n\r\t');
    expect(valueOf('"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\uD83D\\uDE00"').text).toBe('Aé€😀😀');
    expect(valueOf('"a\\u0000b"').text).toBe('a\u0000b');
    expect(valueOf('"\u007f é 😀"').text).toBe('\u007f é 😀');
  });

  it.each([
    '0',
    '-0',
    '7',
    '-12',
    '0.5',
    '1.50',
    '1e5',
    '1E+5',
    '2.5e-3',
    '-0.0E0',
    '123456789012345678901234567890',
  ])('keeps the number %s as written', (number) => {
    expect(valueOf(number)).toMatchObject({ json: 'number', text: number });
  });

  it('takes whitespace anywhere between tokens, and none', () => {
    const spaced = readJson(' \t\r\n{ \t\r\n"a" \n: \n[ 1 , 2 ] \n, "b":{ } }\n ', {
      limits: DEFAULT_PARSER_LIMITS,
    });
    const tight = readJson('{"a":[1,2],"b":{}}', { limits: DEFAULT_PARSER_LIMITS });
    const strip = (n: { raw?: string }) => ({ ...n, raw: undefined });
    expect(spaced.root.children.map(strip)).toEqual(tight.root.children.map(strip));
  });

  it('accepts an empty key, and keys that differ only in case', () => {
    expect(valueOf('{"":1,"A":2,"a":3}').children.map((c) => c.name)).toEqual(['', 'A', 'a']);
  });

  it('reads 100,000 levels of nesting without recursion when the limit allows it', () => {
    const depth = 100_000;
    const document = readJson(`{"v":${'['.repeat(depth)}${']'.repeat(depth)}}`, {
      limits: { ...DEFAULT_PARSER_LIMITS, maxDepth: depth + 1, maxElements: depth + 2 },
    });
    let node: JsonNode = document.root.children[0]!;
    let levels = 1;
    while (node.children.length > 0) {
      node = node.children[0]!;
      levels++;
    }
    expect(levels).toBe(depth);
  });
});

describe('duplicate keys', () => {
  it.each([
    ['at the top level', '{"password":"Inv3nted-1","password":"Inv3nted-2"}', 26],
    ['in a nested object', '{"deviceResponse":{"r":{"state":"a","state":"b"}}}', 37],
    ['in an object in an array', '{"deviceIds":[{"id":"1"},{"id":"2","kind":"x","id":"3"}]}', 47],
    ['five levels down', '{"a":{"b":{"c":{"d":{"e":1,"e":2}}}}}', 28],
    ['spelled with an escape', '{"kind":1,"\\u006bind":2}', 11],
    [
      'in an object of more than 16 members',
      `{${Array.from({ length: 20 }, (_, i) => `"k${i}":${i}`).join(',')},"k3":0}`,
      162,
    ],
  ])('%s are DUPLICATE_KEY, pointing at the second', async (_, text, column) => {
    const error = await refusal(text, 'DUPLICATE_KEY');
    expect(error.position).toEqual({ line: 1, column });
  });

  it('name a short key, never a long one', async () => {
    expect((await refusal('{"status":1,"status":2}', 'DUPLICATE_KEY')).message).toBe(
      'the key "status" appears twice in one object (line 1, column 13)',
    );
    const long = 'Inv3nted-secret-used-as-a-key-name';
    const error = await refusal(`{"${long}":1,"${long}":2}`, 'DUPLICATE_KEY');
    expect(error.message).toBe(`a key appears twice in one object (line 1, column ${long.length + 7})`);
  });

  it('are fine in different objects', () => {
    expect(() => valueOf('[{"id":1},{"id":2},{"x":{"id":3}}]')).not.toThrow();
  });
});

describe('positionAt', () => {
  it('counts lines from 1 and characters (not UTF-16 units) from 1', () => {
    expect(positionAt('abc', 0)).toEqual({ line: 1, column: 1 });
    expect(positionAt('a\nbc', 3)).toEqual({ line: 2, column: 2 });
    expect(positionAt('😀😀x', 4)).toEqual({ line: 1, column: 3 });
    expect(positionAt('a\r\nb', 3)).toEqual({ line: 2, column: 1 });
    // Past the end: just after the last character.
    expect(positionAt('ab', 9)).toEqual({ line: 1, column: 3 });
  });

  it('is what errors report', async () => {
    expect((await refusal('{"😀é": 01}')).position).toEqual({ line: 1, column: 8 });
    expect((await refusal('{"a":\n\n  "x",01}')).position).toEqual({ line: 3, column: 7 });
  });
});
