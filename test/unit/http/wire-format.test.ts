/** How the HTTP layer decides which parser reads a callback, and in which format refusals are answered. */
import { Readable } from 'node:stream';
import type { RequestBody } from '../../../src/http/body';
import { answerFormatOf, formatOfContentType, sniffFormat } from '../../../src/http/wire-format';

async function bytesOf(body: RequestBody): Promise<string> {
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

describe('formatOfContentType', () => {
  it.each([
    ['text/xml', 'soap'],
    ['text/xml; charset=utf-8', 'soap'],
    ['Application/SOAP+XML; action="x"', 'soap'],
    ['application/xml', 'soap'],
    ['application/json', 'rest'],
    ['application/json;charset=UTF-8', 'rest'],
    ['APPLICATION/JSON ; charset=iso-8859-1', 'rest'],
    ['text/json', 'rest'],
    ['application/vnd.thingspace.callback+json; version=1', 'rest'],
    ['', 'sniff'],
    ['text/plain', undefined],
    ['application/x-www-form-urlencoded', undefined],
    ['application/jsonl', undefined],
    ['text/+json', undefined],
    ['application/+json', undefined],
    ['multipart/related+json', undefined],
  ])('%j -> %s', (contentType, format) => {
    expect(formatOfContentType(contentType)).toBe(format);
  });
});

describe('answerFormatOf', () => {
  it('answers JSON when the Content-Type names JSON at all, else SOAP', () => {
    expect(answerFormatOf('application/json')).toBe('rest');
    expect(answerFormatOf('application/jsonl')).toBe('rest');
    expect(answerFormatOf('text/xml')).toBe('soap');
    expect(answerFormatOf('text/plain')).toBe('soap');
    expect(answerFormatOf('')).toBe('soap');
  });
});

describe('sniffFormat', () => {
  const sniff = (chunks: string[], maxBytes = 1000) =>
    sniffFormat(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), maxBytes);

  it.each([
    [['{"a":1}'], 'rest'],
    [['[1]'], 'rest'],
    [[' \r\n\t', '', '  {"a":1}'], 'rest'],
    [['<?xml version="1.0"?><s:Envelope/>'], 'soap'],
    [['  ', '\n<x/>'], 'soap'],
    [['\uFEFF{"a":1}'], 'soap'], // a byte order mark is no JSON: the SOAP parser says what is wrong
    [['hello'], 'soap'],
    [[], 'soap'],
    [['   '], 'soap'],
  ])('%j -> %s, every byte handed on', async (chunks, format) => {
    const sniffed = await sniff(chunks);
    expect(sniffed.format).toBe(format);
    expect(await bytesOf(sniffed.body)).toBe(chunks.join(''));
  });

  it.each([
    [' \r\n\t{"a":1}', 'rest'],
    ['[1]', 'rest'],
    ['\n<x/>', 'soap'],
    ['\uFEFF{"a":1}', 'soap'],
    ['   ', 'soap'],
    ['', 'soap'],
  ])('a whole body %j -> %s, handed on as it is', async (text, format) => {
    const bytes = Buffer.from(text);
    const sniffed = await sniffFormat(bytes, 1000);
    expect(sniffed).toEqual({ format, body: bytes });
  });

  it('reads only as far as the first byte that is not whitespace', async () => {
    let pulled = 0;
    async function* body() {
      for (const chunk of ['  ', '{"a":', '1}']) {
        pulled++;
        yield Buffer.from(chunk);
      }
    }
    const sniffed = await sniffFormat(body(), 1000);
    expect([sniffed.format, pulled]).toEqual(['rest', 2]);
    expect(await bytesOf(sniffed.body)).toBe('  {"a":1}');
  });

  it('holds at most maxBytes of whitespace, then leaves the body to the SOAP parser', async () => {
    let pulled = 0;
    async function* spaces() {
      for (;;) {
        pulled++;
        yield Buffer.from(' '.repeat(100));
      }
    }
    const sniffed = await sniffFormat(spaces(), 250);
    expect([sniffed.format, pulled]).toEqual(['soap', 3]);
  });

  it('stopping the handed-on body early stops the source', async () => {
    let closed = false;
    async function* body() {
      try {
        yield Buffer.from(' ');
        yield Buffer.from('{');
        yield Buffer.from('"a":1}');
      } finally {
        closed = true;
      }
    }
    const sniffed = await sniffFormat(body(), 1000);
    for await (const chunk of sniffed.body as AsyncIterable<Uint8Array>) {
      if (chunk.length > 0) break;
    }
    expect(closed).toBe(true);
  });
});
