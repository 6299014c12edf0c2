import { Kafka, logLevel } from 'kafkajs';
import { createServer, type AddressInfo } from 'node:net';
import { failureInWords } from '../../../src/kafka/failure-words';
import { RegistryRequestError } from '../../../src/kafka/registry-http';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What kafkajs's admin.connect() throws for these brokers, retrying once. */
async function kafkajsFailure(broker: string): Promise<unknown> {
  const kafka = new Kafka({
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 10 },
  });
  const admin = kafka.admin();
  const failure = await admin.connect().then(
    () => undefined,
    (err: unknown) => err,
  );
  await admin.disconnect();
  return failure;
}

describe('failureInWords', () => {
  it("kafkajs's refused connection: connection refused, with host:port", async () => {
    const port = await closedPort();
    expect(failureInWords(await kafkajsFailure(`127.0.0.1:${port}`))).toBe(
      `connection refused by 127.0.0.1:${port}`,
    );
  });

  it("kafkajs's unknown host: host not found, with the host", async () => {
    expect(failureInWords(await kafkajsFailure('no-such-host.invalid:9092'))).toBe(
      'host not found: no-such-host.invalid',
    );
  });

  it("@platformatic/kafka's attempts: the socket error inside, found through errors and cause", () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED ::1:9092'), {
      code: 'ECONNREFUSED',
      address: '::1',
      port: 9092,
    });
    const attempts = Object.assign(new Error('Cannot connect to any broker.'), {
      errors: [new Error('Connection failed.', { cause: socket })],
    });
    expect(failureInWords(attempts)).toBe('connection refused by [::1]:9092');
  });

  it('authentication failures and timeouts say so; the rest is the message', () => {
    const sasl = Object.assign(new Error('SASL SCRAM SHA256 authentication failed'), {
      name: 'KafkaJSSASLAuthenticationError',
    });
    expect(failureInWords(sasl)).toBe(
      'authentication failed (check kafka.sasl): SASL SCRAM SHA256 authentication failed',
    );
    const timeout = Object.assign(new Error('Request Metadata(key: 3, version: 6) timed out'), {
      name: 'KafkaJSRequestTimeoutError',
    });
    expect(failureInWords(timeout)).toBe('timed out: Request Metadata(key: 3, version: 6) timed out');
    expect(failureInWords(new Error('Topics missing: ts.async'))).toBe('Topics missing: ts.async');
    expect(failureInWords('plain')).toBe('plain');
  });

  it("keeps the registry's own words", () => {
    const said = 'GET http://registry:8081/config: 404 no such path (check schemaRegistry.url): Not Found';
    expect(failureInWords(new RegistryRequestError(said, 404))).toBe(said);
  });
});
