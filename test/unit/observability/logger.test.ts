import { Writable } from 'node:stream';
import { createLogger, requestLogger } from '../../../src/observability';
import { Secret } from '../../../src/util/secret';

const PASSWORD = 'hunter2-Xq9!zz';

/** A logger writing into an array of parsed lines. */
function captured(level: 'info' | 'debug' = 'info') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level }, stream), lines };
}

describe('createLogger', () => {
  it('writes JSON lines with level names, ISO times and the message', () => {
    const { logger, lines } = captured();
    logger.info({ service: 'CarrierService' }, 'callback acknowledged');
    logger.debug('not at info');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      service: 'CarrierService',
      msg: 'callback acknowledged',
    });
  });

  it('never writes a known password, whatever shape it is logged in', () => {
    const { logger, lines } = captured('debug');
    const secret = new Secret(PASSWORD);
    const basic = `Basic ${Buffer.from(`user:${PASSWORD}`).toString('base64')}`;

    // Plain strings under keys that name credentials, at any depth up to four.
    logger.info({ password: PASSWORD });
    logger.info({ Password: PASSWORD, Username: 'acme-user' });
    logger.info({ account: { password: PASSWORD } });
    logger.info({ config: { kafka: { sasl: { password: PASSWORD } } } });
    logger.info({ accounts: [{ name: 'acme', password: PASSWORD }] });
    logger.info({ req: { headers: { authorization: basic, cookie: `session=${PASSWORD}` } } });
    logger.info({ res: { headers: { 'set-cookie': [`session=${PASSWORD}`] } } });
    logger.info({ registration: { token: PASSWORD } });
    logger.info({ accounts: [{ name: 'acme', pathToken: PASSWORD }] });
    logger.child({ password: PASSWORD }).info('child bindings');
    logger.error({ err: Object.assign(new Error('login failed'), { password: PASSWORD }) }, 'with an error');
    // Secrets, wherever they go: objects, arrays, format arguments, error causes, messages.
    logger.info({ credentials: secret, nested: { deeper: { still: { deeper: { secret } } } } });
    logger.info({ list: [secret, { secret }] });
    logger.info('format %s %j %o %O', secret, secret, { secret }, { secret });
    logger.info(`template ${String(secret)}`);
    logger.error({ err: new Error('failed', { cause: secret }) }, 'cause');
    logger.warn(secret as unknown as object, 'a Secret as the merge object');

    expect(lines.length).toBe(17);
    const output = lines.join('\n');
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(basic);
    expect(output).toContain('[redacted]');
    // What is not a credential stays readable.
    expect(output).toContain('acme-user');
    expect(output).toContain('login failed');
  });

  it('redacts a credential at any depth, in objects and arrays, whatever the case of its key', () => {
    const { logger, lines } = captured();
    // Depth 10: pino's own redaction paths stop where they are listed.
    const deep = { a: { b: { c: { d: { e: { f: { g: { h: { i: { password: PASSWORD } } } } } } } } } };
    logger.info({ deep });
    logger.info({ at: [[[[[[[[[{ PASSWORD: PASSWORD }]]]]]]]]] });
    logger.error({
      err: Object.assign(new Error('refused'), {
        response: { request: { headers: { Authorization: PASSWORD } } },
      }),
    });

    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).not.toContain(PASSWORD);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      deep: { a: { b: { c: { d: { e: { f: { g: { h: { i: { password: '[redacted]' } } } } } } } } } },
    });
    expect(JSON.parse(lines[2]!)).toMatchObject({ err: { message: 'refused' } });
  });

  it('keeps where a secret lives readable (file paths and variable names are not secrets)', () => {
    const { logger, lines } = captured();
    logger.info({ account: { passwordFile: '/run/secrets/acme', passwordEnv: 'ACME_PASSWORD' } });
    expect(JSON.parse(lines[0]!)).toMatchObject({
      account: { passwordFile: '/run/secrets/acme', passwordEnv: 'ACME_PASSWORD' },
    });
  });
});

describe('requestLogger', () => {
  it('binds the request id as reqId, apart from ThingSpace’s RequestId', () => {
    const { logger, lines } = captured();
    requestLogger(logger, 'r-42').info({ requestId: 'thingspace-guid' }, 'parsed');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      reqId: 'r-42',
      requestId: 'thingspace-guid',
      msg: 'parsed',
    });
  });
});
