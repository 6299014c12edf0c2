/**
 * The wire format of ThingSpace's UWS v2 SOAP API for the operations the bridge uses (THINGSPACE.md §5), both
 * ways: requests as the registration client writes them and the simulator reads them, responses as the
 * simulator writes them and the client reads them. Reading goes by local name only, so the platform's namespace
 * prefixes (`a:SessionToken`, `d:AccountName`, or none) don't matter.
 *
 *   POST <url>/<Service>.svc   SOAPAction: "http://nphase.com/unifiedwebservice/v2/I<Service>/<Operation>"
 *   Envelope / Header / token (v2 namespace)                      the session token, once logged in
 *            / Body / <Operation xmlns=v2> / Input / fields       in the data-contract namespace of the service
 *   answer:    Body / <Operation>Response / Output / fields      or a SOAP Fault
 *
 * Field order follows §5 (RegisterCallback: AccountName, ServiceName, Url, Username, Password). LogIn's fields
 * and its SessionToken output, and the SessionService endpoint by the pattern of §5, are "likely" (public client
 * code shows them); LogOut sends only the token: its input is unpublished. StartSmsCallback belongs to the
 * EnhancedConnectivityService: Verizon's own sample response declares that data-contract namespace (known), so
 * its endpoint `EnhancedConnectivityService.svc` and SOAPAction `.../IEnhancedConnectivityService/StartSmsCallback`
 * follow by the pattern (likely).
 */
import { childNamed, textElement, writeEnvelope } from '../soap/envelope';
import type { SoapEnvelope } from '../soap/envelope';
import type { XmlNode } from '../soap/types';
import { escapeXml } from '../soap/xml';

const UWS_NS = 'http://nphase.com/unifiedwebservice/v2';
const CONTRACT_NS = 'http://schemas.datacontract.org/2004/07/NPhase.UnifiedWebService.APIs.v2.Contract.';

export type UwsService = 'SessionService' | 'CallbackRegistrationService' | 'EnhancedConnectivityService';

/** Each operation and the service that offers it. */
export const OPERATIONS = {
  LogIn: 'SessionService',
  LogOut: 'SessionService',
  GetCallbackRegistrations: 'CallbackRegistrationService',
  RegisterCallback: 'CallbackRegistrationService',
  UnregisterCallback: 'CallbackRegistrationService',
  StartSmsCallback: 'EnhancedConnectivityService',
} as const satisfies Record<string, UwsService>;

export type Operation = keyof typeof OPERATIONS;

/** A field of an Input or Output, in order: name and text. */
export type Field = readonly [name: string, value: string];

/** `<base>/<Service>.svc`; the base is the API root, e.g. `https://<host>/api/v2`. */
export function endpointOf(baseUrl: string, operation: Operation): string {
  return `${baseUrl.replace(/\/+$/, '')}/${OPERATIONS[operation]}.svc`;
}

export function soapActionOf(operation: Operation): string {
  return `${UWS_NS}/I${OPERATIONS[operation]}/${operation}`;
}

export function isOperation(name: string): name is Operation {
  return Object.hasOwn(OPERATIONS, name);
}

/** A request envelope; the token goes in the header when given (every operation but LogIn needs it). */
export function writeRequest(operation: Operation, fields: readonly Field[], token?: string): string {
  const header = token === undefined ? '' : `<token xmlns="${UWS_NS}">${escapeXml(token)}</token>`;
  const input =
    `<Input xmlns:d="${CONTRACT_NS}${OPERATIONS[operation]}">` +
    `${fields.map(([name, value]) => textElement(`d:${name}`, value)).join('')}</Input>`;
  return writeEnvelope(`<${operation} xmlns="${UWS_NS}">${input}</${operation}>`, header);
}

/**
 * A response envelope. `output` is the Output's content: fields in order, each a text or a list of elements
 * (as GetCallbackRegistrations's list of registrations), all in the service's data-contract namespace.
 */
export function writeResponse(operation: Operation, output: readonly OutputItem[]): string {
  const content = output.map(writeOutputItem).join('');
  return writeEnvelope(
    `<${operation}Response xmlns="${UWS_NS}">` +
      `<Output xmlns:a="${CONTRACT_NS}${OPERATIONS[operation]}">${content}</Output></${operation}Response>`,
  );
}

/** A text field, or an element holding further items. */
export type OutputItem = Field | { readonly name: string; readonly items: readonly OutputItem[] };

function writeOutputItem(item: OutputItem): string {
  if ('items' in item) return `<a:${item.name}>${item.items.map(writeOutputItem).join('')}</a:${item.name}>`;
  return textElement(`a:${item[0]}`, item[1]);
}

/** A request as the simulator reads it: the operation element's name, the token if any, the Input. */
export interface UwsRequest {
  operation: string;
  token?: string;
  input: XmlNode;
}

const EMPTY: XmlNode = Object.freeze({ name: 'Input', attributes: {}, text: '', children: [] });

/** Undefined when the Body holds no element at all. */
export function readRequest(envelope: SoapEnvelope): UwsRequest | undefined {
  const [element] = envelope.body;
  if (element === undefined) return undefined;
  const token = envelope.header.find((node) => node.name === 'token')?.text.trim();
  return {
    operation: element.name,
    ...(token === undefined ? {} : { token }),
    input: childNamed(element, 'Input') ?? EMPTY,
  };
}

/**
 * The Output of `<operation>Response`; an operation whose answer carries nothing may come without one (an
 * empty element is returned then). Undefined when the Body holds no such response.
 */
export function readOutput(envelope: SoapEnvelope, operation: Operation): XmlNode | undefined {
  const response = envelope.body.find((node) => node.name === `${operation}Response`);
  if (response === undefined) return undefined;
  return childNamed(response, 'Output') ?? { ...EMPTY, name: 'Output' };
}
