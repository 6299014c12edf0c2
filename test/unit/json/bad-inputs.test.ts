import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonCallback } from '../../../src/json/parser';
import type { ParseErrorCode } from '../../../src/message/errors';
import { pieces, rejection, stream } from '../message/helpers';
import { BAD_JSON_FIXTURES } from './helpers';

const EXPECTED = JSON.parse(readFileSync(join(BAD_JSON_FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  ParseErrorCode
>;

describe('hand-written bad inputs under test/fixtures/bad-json', () => {
  it('every file has its expected code in expected.json, and every entry its file', () => {
    expect(
      readdirSync(BAD_JSON_FIXTURES)
        .filter((name) => name !== 'expected.json')
        .sort(),
    ).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s is %s, read at once or byte by byte', async (name, code) => {
    const bytes = readFileSync(join(BAD_JSON_FIXTURES, name));
    const error = await rejection(parseJsonCallback(bytes), code);
    await rejection(parseJsonCallback(stream(pieces(bytes, 1))), code);
    // Several of them carry a password: no message may repeat it.
    expect(error.message).not.toContain('Inv3nted');
  });
});
