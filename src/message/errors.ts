import { BridgeError, type BridgeErrorCode } from '../errors';

/**
 * Every way a callback body can fail to parse, SOAP (src/soap/parser.ts) or JSON (src/json/parser.ts). Their
 * rows, with status and description, are in the catalogue (src/errors.ts): all are the caller's fault (SOAP
 * fault code Client, 4xx: a retry of the same bytes cannot succeed).
 */
export const PARSE_ERROR_CODES = [
  'EMPTY_BODY',
  'BODY_TOO_LARGE',
  'INVALID_UTF8',
  'MALFORMED_XML',
  'DOCTYPE_FORBIDDEN',
  'TOO_DEEP',
  'TOO_MANY_ELEMENTS',
  'TEXT_TOO_LONG',
  'TOO_MANY_ATTRIBUTES',
  'NOT_SOAP_ENVELOPE',
  'UNKNOWN_ROOT',
  'BYTE_ORDER_MARK',
  'MALFORMED_JSON',
  'DUPLICATE_KEY',
  'NOT_JSON_OBJECT',
  'CREDENTIALS_NOT_STRINGS',
] as const satisfies readonly BridgeErrorCode[];

export type ParseErrorCode = (typeof PARSE_ERROR_CODES)[number];

/** Where in the body a parse failed: lines counted from 1, characters within the line from 1. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** The body could not be turned into a ParsedCallback. Its message never holds text content of the body. */
export class ParseError extends BridgeError {
  declare readonly code: ParseErrorCode;
  readonly position?: SourcePosition;

  constructor(
    code: ParseErrorCode,
    message: string,
    options: { position?: SourcePosition; cause?: unknown } = {},
  ) {
    super(
      code,
      options.position
        ? `${message} (line ${options.position.line}, column ${options.position.column})`
        : message,
      {
        cause: options.cause,
      },
    );
    if (options.position) this.position = options.position;
  }
}
