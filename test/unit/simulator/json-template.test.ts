import { compileJsonTemplate, renderCallback } from '../../../src/simulator';
import { Secret } from '../../../src/util/secret';

const SOURCE = JSON.stringify({
  username: '',
  password: '',
  requestId: 'fixture-request',
  deviceIds: [
    { id: '5555550101', kind: 'mdn' },
    { id: '89148000000012340001', kind: 'ICCID' },
  ],
  deviceResponse: {
    activateResponse: { deviceIds: [{ id: '15555550101', kind: 'msisdn' }], state: 'active' },
  },
  status: 'Success',
});

const values = (serial: number, callbackCount = 1) => ({
  username: 'sim-user',
  password: new Secret('sim-password'),
  requestId: 'fresh-request',
  serial,
  callbackCount,
});

describe('JSON templates', () => {
  const template = compileJsonTemplate('activate', 'CarrierService', SOURCE);

  it('are REST ordinary callbacks, or device SMS when they carry smsMessage', () => {
    expect([template.format, template.root]).toEqual(['rest', 'CallbackRequest']);
    const sms = compileJsonTemplate('sms', 'EnhancedConnectivityService', '{"smsMessage":"hi"}');
    expect(sms.root).toBe('SmsCallbackRequest');
    expect(() => compileJsonTemplate('list', 'CarrierService', '[]')).toThrow(/not a JSON object/);
  });

  it('fill in credentials, RequestId and attempt, and vary every identifier by the serial', () => {
    const message = JSON.parse(renderCallback(template, values(7, 3))) as Record<string, unknown>;
    expect(message).toMatchObject({
      username: 'sim-user',
      password: 'sim-password',
      requestId: 'fresh-request',
      callbackCount: 3,
      maxCallbackThreshold: 4,
      deviceIds: [
        { id: '5555550007', kind: 'mdn' },
        { id: '89148000000012340007', kind: 'ICCID' },
      ],
      deviceResponse: { activateResponse: { deviceIds: [{ id: '15555550007', kind: 'msisdn' }] } },
      status: 'Success',
    });
    expect(renderCallback(template, values(8))).not.toBe(renderCallback(template, values(7)));
  });

  it('add no RequestId to a message that has none', () => {
    const sms = compileJsonTemplate('sms', 'EnhancedConnectivityService', '{"smsMessage":"hi"}');
    expect(JSON.parse(renderCallback(sms, values(1)))).not.toHaveProperty('requestId');
  });
});
