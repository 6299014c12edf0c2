/**
 * The shed before Koa: while admission control sheds (admission.ts), a callback is answered 503 `OVERLOADED`
 * straight from the node:http request handler, without Koa's context, the guards, the request id and the error
 * exit. Under a flood of clients resending at once those made a shed cost about a third of a whole callback, and
 * the sheds took the core from the callbacks admitted. The answer is the app's own (same body in the caller's
 * format, Retry-After, held shedDelayMs, counted under its service); everything else goes on to the app, whose
 * guard admits or sheds as before.
 *
 * Only `POST /callbacks/...` naming a known service: anything else (a per-service listener's `POST /`, a path
 * the app would refuse) goes to the app. A path token is not looked at: a shed answer is the same for every one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../observability';
import { findService } from '../thingspace/catalogue';
import type { Admission } from './admission';
import { ANSWERS, CALLBACKS, callbackPath } from './app';
import { answerFormatOf } from './wire-format';

/** Answers the request when it is shed, and says so; false: the app takes it. */
export type EarlyShed = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createEarlyShed(admission: Admission, metrics: Metrics): EarlyShed {
  const error = admission.overloaded;
  const retryAfter = String(error.retryAfterSeconds);
  return (req, res) => {
    const url = req.url ?? '';
    // Nothing more on the request path while callbacks are admitted: the service is parsed only when shedding.
    if (admission.saturated === undefined || req.method !== 'POST' || !url.startsWith(CALLBACKS))
      return false;
    const service = knownService(url);
    if (service === undefined || admission.shedding() === undefined) return false;
    metrics.requests.inc({ service, outcome: 'failed', status: error.status });
    const answers = ANSWERS[answerFormatOf(req.headers['content-type'] ?? '')];
    const { status, body } = answers.errorFor(error);
    void admission.pace().then(() => {
      res.writeHead(status, {
        'Content-Type': answers.contentType,
        'Content-Length': body.length,
        'Retry-After': retryAfter,
        // As the app's error exit: a declared length is discarded by Node and the connection reused; a chunked
        // body's end is unknown, so its connection goes.
        ...(req.headers['content-length'] === undefined ? { Connection: 'close' } : {}),
      });
      res.end(body);
    });
    return true;
  };
}

function knownService(url: string): string | undefined {
  const query = url.indexOf('?');
  try {
    return findService(callbackPath(query < 0 ? url : url.slice(0, query)).service)?.name;
  } catch {
    return undefined; // a path the app refuses, and says why
  }
}
