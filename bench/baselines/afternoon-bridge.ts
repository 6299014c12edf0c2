/**
 * The reference a team would write in an afternoon: Koa, the body read whole into a string, parsed with a popular
 * DOM XML parser (@xmldom/xmldom), the interesting elements turned into an object, JSON.stringify, and one
 * `producer.send` per request with acks=all, awaited before the 200. Correct, but nothing shared between requests.
 * It is written the straightforward way on purpose: it is what the bridge's design is measured against.
 *
 *   tsx bench/baselines/afternoon-bridge.ts   env BROKERS, TOPIC, USERNAME, PASSWORD
 *                                             prints {"msg":"listening","port":N} once connected and listening
 */
import '../../src/kafka/kafkajs-timer-warning';
import { createServer } from 'node:http';
import { DOMParser, type Element, type Node } from '@xmldom/xmldom';
import { Kafka, logLevel } from 'kafkajs';
import Koa from 'koa';
import { ACK, serveUntilTerminated } from './common';

const { BROKERS = '', TOPIC = '', USERNAME = '', PASSWORD = '' } = process.env;
const ELEMENT_NODE = 1;

/** Element children to a plain object: text leaves become strings, repeated names become arrays. */
function toObject(element: Element): unknown {
  const children = Array.from(element.childNodes).filter(
    (n: Node) => n.nodeType === ELEMENT_NODE,
  ) as Element[];
  if (children.length === 0) return element.textContent ?? '';
  const object: Record<string, unknown> = {};
  for (const child of children) {
    const value = toObject(child);
    const name = child.localName ?? child.nodeName;
    const existing = object[name];
    if (existing === undefined) object[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else object[name] = [existing, value];
  }
  return object;
}

async function main(): Promise<void> {
  // Its own client, not the project's factory (src/kafka/clients.ts): it is what a team writes without the project.
  const kafka = new Kafka({
    clientId: 'afternoon-bridge',
    brokers: BROKERS.split(','),
    logLevel: logLevel.ERROR,
  });
  const producer = kafka.producer();
  await producer.connect();

  const app = new Koa();
  app.use(async (ctx) => {
    let xml = '';
    for await (const chunk of ctx.req) xml += String(chunk);
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const root =
      doc.getElementsByTagNameNS('*', 'CallbackRequest')[0] ??
      doc.getElementsByTagNameNS('*', 'SmsCallbackRequest')[0];
    if (root === undefined) return ctx.throw(400, 'not a callback');
    const message = toObject(root) as Record<string, unknown> & { Username?: string; Password?: string };
    if (message.Username !== USERNAME || message.Password !== PASSWORD) ctx.throw(401, 'bad credentials');
    delete message.Password;
    const device = message.Device as { Identifier?: string } | { Identifier?: string }[] | undefined;
    const key = (Array.isArray(device) ? device[0] : device)?.Identifier ?? String(message.RequestId);
    await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: [
        {
          key,
          value: JSON.stringify({ service: ctx.path.split('/').pop(), receivedAt: Date.now(), message }),
        },
      ],
    });
    ctx.type = 'text/xml; charset=utf-8';
    ctx.body = ACK;
  });

  const handle = app.callback();
  serveUntilTerminated(
    createServer((req, res) => void handle(req, res)),
    () => producer.disconnect(),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `afternoon-bridge: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
