/** The bounds on one callback body, whatever its format: every limit is checked while reading. */
export interface ParserLimits {
  /** Bytes of the whole body, counted as they arrive. Over it: BODY_TOO_LARGE (413). */
  maxBodyBytes: number;
  /** Levels of nesting: XML elements (the Envelope is level 1), JSON objects and arrays (the top object is 1). */
  maxDepth: number;
  /** XML: elements in the whole message. JSON: values in the whole message, the top object included. */
  maxElements: number;
  /**
   * UTF-8 bytes of one XML element's decoded text, and UTF-16 code units of any stretch of XML source without
   * `<` or `>` (a text or attribute value still arriving), so a huge value is refused before the rest is read.
   * JSON: UTF-8 bytes of one decoded string (key or value), and characters of one number.
   */
  maxTextBytes: number;
  /** Attributes on one XML element, namespace declarations included. */
  maxAttributes: number;
}

export const DEFAULT_PARSER_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxDepth: 64,
  maxElements: 10_000,
  maxTextBytes: 64 * 1024,
  maxAttributes: 32,
});

/** The limits given, the defaults for those left out or set undefined. */
export function resolveLimits(limits: Partial<ParserLimits> | undefined): Readonly<ParserLimits> {
  if (limits === undefined) return DEFAULT_PARSER_LIMITS;
  const resolved = { ...DEFAULT_PARSER_LIMITS };
  for (const key of Object.keys(resolved) as (keyof ParserLimits)[]) {
    const value = limits[key];
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}
