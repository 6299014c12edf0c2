import type { MessageNode } from '../message/types';

/**
 * An XML element as the SOAP readers build it (src/soap/parser.ts, src/soap/envelope.ts): a MessageNode
 * without JSON types. Local name, attributes by local name (namespace declarations and xsi:nil left out), the
 * element's own text (entities decoded; whitespace-only text between child elements dropped), children in order.
 */
export interface XmlNode extends MessageNode {
  children: readonly XmlNode[];
  json?: never;
}
