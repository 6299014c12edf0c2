/**
 * The requests a load generator sends, built before the clock starts: the corpus's messages rendered for many
 * devices (each pool entry has its own serial, so its own identifiers), each a complete HTTP request in one
 * Buffer. Sending one writes a fresh RequestId into its place (a device SMS, which has none, gets it at the start
 * of its text), so every callback is a distinct event (another eventId) for the cost of a 36-byte write.
 */
import { randomBytes } from 'node:crypto';
import {
  CONTENT_TYPES,
  loadTemplates,
  renderCallback,
  type CallbackTemplate,
} from '../../src/simulator/templates';
import { Secret } from '../../src/util/secret';

/** Same length as a UUID, and nothing else in a message looks like it. */
const SENTINEL = 'REQUESTIDREQUESTIDREQUESTIDREQUESTID';

export interface RequestPoolOptions {
  corpusDir: string;
  port: number;
  username: string;
  password: string;
  /** Entries per message of the corpus: distinct devices per service. */
  devicesPerMessage: number;
}

export interface PooledRequest {
  bytes: Buffer;
  idAt: number;
  bodyBytes: number;
}

export class RequestPool {
  readonly entries: PooledRequest[] = [];
  private next = 0;
  private count = 0;
  /** Tells this process's ids from another run's. */
  private readonly run = randomBytes(4).toString('hex');

  constructor(options: RequestPoolOptions) {
    const templates = loadTemplates(options.corpusDir);
    const password = new Secret(options.password);
    // Interleaved, so consecutive requests go to different services, as a mixed account's would.
    for (let serial = 0; serial < options.devicesPerMessage; serial++) {
      for (const template of templates) this.entries.push(build(template, serial, options, password));
    }
  }

  /** The next request, with a RequestId no other request of this process had. */
  take(): Buffer {
    const entry = this.entries[this.next]!;
    this.next = (this.next + 1) % this.entries.length;
    const n = (this.count++).toString(16).padStart(20, '0');
    // 8-4-4-4-12, version nibble 4 and variant 8 so it reads as the UUID a real RequestId is.
    const id = `${this.run}-${n.slice(0, 4)}-4${n.slice(4, 7)}-8${n.slice(7, 10)}-${n.slice(10, 20)}00`;
    entry.bytes.write(id, entry.idAt, 'latin1');
    return entry.bytes;
  }

  meanBodyBytes(): number {
    return this.entries.reduce((sum, e) => sum + e.bodyBytes, 0) / this.entries.length;
  }
}

function build(
  template: CallbackTemplate,
  serial: number,
  options: RequestPoolOptions,
  password: Secret,
): PooledRequest {
  let text = renderCallback(template, {
    username: options.username,
    password,
    requestId: SENTINEL,
    serial,
    callbackCount: 1,
  });
  // A device SMS has no RequestId: its text starts with the unique id instead, as devices number their reports.
  if (!text.includes(SENTINEL)) {
    text = text
      .replace(/<((?:[\w-]+:)?SmsMessage)>/, `<$1>${SENTINEL} `)
      .replace(/"smsMessage":"/, `"smsMessage":"${SENTINEL} `);
  }
  const body = Buffer.from(text);
  const head = Buffer.from(
    `POST /callbacks/${template.service} HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\n` +
      `Content-Type: ${CONTENT_TYPES[template.format]}\r\nContent-Length: ${body.length}\r\n\r\n`,
    'latin1',
  );
  const bytes = Buffer.concat([head, body]);
  const idAt = bytes.indexOf(SENTINEL, head.length, 'latin1');
  if (idAt === -1) throw new Error(`template ${template.name}: no RequestId or SmsMessage to vary`);
  return { bytes, idAt, bodyBytes: body.length };
}
