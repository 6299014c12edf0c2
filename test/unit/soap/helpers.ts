import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const SOAP_FIXTURES = join(__dirname, '..', '..', 'fixtures', 'soap');
export const BAD_FIXTURES = join(__dirname, '..', '..', 'fixtures', 'bad');

/** The valid messages under test/fixtures/soap, by file name. */
export function soapFixtures(): Map<string, Buffer> {
  return new Map(
    readdirSync(SOAP_FIXTURES)
      .filter((name) => name.endsWith('.xml'))
      .map((name) => [name, readFileSync(join(SOAP_FIXTURES, name))]),
  );
}

export const SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const V2_NS = 'http://nphase.com/unifiedwebservice/v2';

/** The opening of a SOAP 1.1 envelope around a root, the way THINGSPACE.md §2 shows it, up to the root's content. */
export function envelopeStart({ root = 'CallbackRequest', header = '' } = {}): string {
  return (
    `<s:Envelope xmlns:s="${SOAP_NS}">${header && `<s:Header>${header}</s:Header>`}` +
    `<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><${root} xmlns="${V2_NS}">`
  );
}

/** A CallbackRequest (or another root) in a SOAP 1.1 envelope. */
export function envelope(rootContent: string, options: { root?: string; header?: string } = {}): string {
  return `${envelopeStart(options)}${rootContent}</${options.root ?? 'CallbackRequest'}></s:Body></s:Envelope>`;
}
