import { BridgeError } from '../../../src/errors';
import { UnexpectedRootError, UnknownServiceError } from '../../../src/thingspace/errors';
import { findService, resolveRoute, SERVICES } from '../../../src/thingspace/catalogue';
import type { Category } from '../../../src/events/types';
import type { ServiceName } from '../../../src/thingspace/catalogue';

// THINGSPACE.md §1, row by row: the category of a CallbackRequest.
const TABLE: [ServiceName, Category][] = [
  ['CarrierService', 'async-response'],
  ['DevicePRLInformation', 'async-response'],
  ['DeviceService', 'async-response'],
  ['DeviceSuspensionStatus', 'async-response'],
  ['DeviceUsage', 'async-response'],
  ['SMSDeliveryConfirmation', 'async-response'],
  ['EnhancedConnectivityService', 'async-response'],
  ['ExternalProvisioningChanges', 'external-change'],
  ['PromoChange', 'external-change'],
  ['ResumeTrackingNotification', 'external-change'],
  ['AlertService', 'external-change'],
];

describe('service catalogue', () => {
  it('holds exactly the services of THINGSPACE.md §1', () => {
    expect(SERVICES.map((entry) => entry.name).sort()).toEqual(TABLE.map(([name]) => name).sort());
  });

  it.each(TABLE)('%s: CallbackRequest is %s', (name, category) => {
    expect(resolveRoute(name, 'CallbackRequest')).toMatchObject({ service: name, category });
  });

  it.each([
    ['ExternalProvisioningChange', 'ExternalProvisioningChanges'],
    ['PromoChanges', 'PromoChange'],
    ['AlertsService', 'AlertService'],
  ])('alias %s names %s', (alias, canonical) => {
    expect(findService(alias)?.name).toBe(canonical);
    expect(resolveRoute(alias, 'CallbackRequest').service).toBe(canonical);
  });

  it.each([
    'carrierservice',
    'CARRIERSERVICE',
    'cArRiErSeRvIcE',
    'externalprovisioningchange',
    'PROMOCHANGES',
  ])('matches %s case-insensitively', (name) => {
    expect(findService(name)).toBeDefined();
  });

  it('finds every name and alias to its own entry (no two entries claim one name)', () => {
    for (const entry of SERVICES) {
      for (const name of [entry.name, ...entry.aliases]) expect(findService(name)).toBe(entry);
    }
  });

  describe('EnhancedConnectivityService, by root', () => {
    it('CallbackRequest (result of SendSmsMessage) is an async response', () => {
      expect(resolveRoute('EnhancedConnectivityService', 'CallbackRequest').category).toBe('async-response');
    });

    it('SmsCallbackRequest (SMS sent by a device) is device-originated', () => {
      expect(resolveRoute('EnhancedConnectivityService', 'SmsCallbackRequest').category).toBe(
        'device-originated',
      );
    });
  });

  it.each(TABLE.map(([name]) => name).filter((name) => name !== 'EnhancedConnectivityService'))(
    '%s does not send SmsCallbackRequest: UnexpectedRootError',
    (name) => {
      const error = captured(() => resolveRoute(name, 'SmsCallbackRequest'));
      expect(error).toBeInstanceOf(UnexpectedRootError);
      expect(error).toBeInstanceOf(BridgeError);
      expect(error).toMatchObject({
        code: 'UNEXPECTED_ROOT',
        status: 422,
        faultCode: 'Client',
        service: name,
      });
    },
  );

  it.each([
    'NiddService',
    'DiagnosticsService',
    '',
    'constructor',
    '__proto__',
    'toString',
    'Carrier Service',
  ])('an unknown service name (%j) is an UnknownServiceError, not a crash', (name) => {
    expect(findService(name)).toBeUndefined();
    const error = captured(() => resolveRoute(name, 'CallbackRequest'));
    expect(error).toBeInstanceOf(UnknownServiceError);
    expect(error).toBeInstanceOf(BridgeError);
    expect(error).toMatchObject({
      code: 'UNKNOWN_SERVICE',
      status: 404,
      faultCode: 'Client',
      expose: true,
      retriable: false,
      service: name,
      name: 'UnknownServiceError',
    });
    expect((error as Error).message).toContain(`'${name}'`);
  });
});

function captured(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
