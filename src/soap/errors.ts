import { BridgeError } from '../errors';
import type { FaultCode } from '../errors';

/**
 * Every way a callback body can fail to parse, with its HTTP status. All are the caller's fault (SOAP fault code
 * Client, 4xx: a retry of the same bytes cannot succeed, src/errors.ts says why 4xx and not 500).
 */
export const PARSE_ERRORS = {
  EMPTY_BODY: { status: 400, description: 'the body is empty or only whitespace' },
  BODY_TOO_LARGE: { status: 413, description: 'the body is longer than maxBodyBytes' },
  INVALID_UTF8: { status: 400, description: 'the body is not valid UTF-8' },
  MALFORMED_XML: { status: 400, description: 'the body is not well-formed XML' },
  DOCTYPE_FORBIDDEN: { status: 400, description: 'a DOCTYPE (and with it any entity declaration) was sent' },
  TOO_DEEP: { status: 400, description: 'elements are nested deeper than maxDepth' },
  TOO_MANY_ELEMENTS: { status: 400, description: 'the message has more than maxElements elements' },
  TEXT_TOO_LONG: {
    status: 400,
    description: "an element's text, or a stretch of source without markup, is longer than maxTextBytes",
  },
  TOO_MANY_ATTRIBUTES: { status: 400, description: 'an element has more than maxAttributes attributes' },
  NOT_SOAP_ENVELOPE: { status: 400, description: 'the document is not a SOAP Envelope with a Body' },
  UNKNOWN_ROOT: {
    status: 400,
    description: 'the SOAP Body holds no CallbackRequest or SmsCallbackRequest, another element, or several',
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type ParseErrorCode = keyof typeof PARSE_ERRORS;

/** Where in the body a parse failed: saxes counts lines from 1 and characters within the line from 1. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** The body could not be turned into a ParsedCallback. Its message never holds text content of the body. */
export class ParseError extends BridgeError {
  readonly code: ParseErrorCode;
  readonly status: number;
  readonly faultCode: FaultCode = 'Client';
  readonly position?: SourcePosition;

  constructor(
    code: ParseErrorCode,
    message: string,
    options: { position?: SourcePosition; cause?: unknown } = {},
  ) {
    super(
      options.position
        ? `${message} (line ${options.position.line}, column ${options.position.column})`
        : message,
      {
        cause: options.cause,
      },
    );
    this.code = code;
    this.status = PARSE_ERRORS[code].status;
    if (options.position) this.position = options.position;
  }
}
