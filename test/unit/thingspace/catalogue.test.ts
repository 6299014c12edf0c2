import { BridgeError } from '../../../src/errors';
import { UnexpectedRootError, UnknownServiceError } from '../../../src/thingspace/errors';
import {
  findService,
  findSoapService,
  resolveRoute,
  SERVICES,
  SOAP_SERVICES,
} from '../../../src/thingspace/catalogue';
import type { Category } from '../../../src/events/types';
import type { ServiceName } from '../../../src/thingspace/catalogue';

// THINGSPACE.md §1 row by row, then the REST-only services of §6: the category of a CallbackRequest (NiddService:
// of its results; its device data has its own, see the payload tests) and whether SOAP can register it.
const TABLE: [ServiceName, Category, 'soap and rest' | 'rest only'][] = [
  ['CarrierService', 'async-response', 'soap and rest'],
  ['DevicePRLInformation', 'async-response', 'soap and rest'],
  ['DeviceService', 'async-response', 'soap and rest'],
  ['DeviceSuspensionStatus', 'async-response', 'soap and rest'],
  ['DeviceUsage', 'async-response', 'soap and rest'],
  ['SMSDeliveryConfirmation', 'async-response', 'soap and rest'],
  ['EnhancedConnectivityService', 'async-response', 'soap and rest'],
  ['ExternalProvisioningChanges', 'external-change', 'soap and rest'],
  ['PromoChange', 'external-change', 'soap and rest'],
  ['ResumeTrackingNotification', 'external-change', 'soap and rest'],
  ['AlertService', 'external-change', 'soap and rest'],
  ['NiddService', 'async-response', 'rest only'],
  ['StateService', 'async-response', 'rest only'],
  ['DeviceProfileService', 'async-response', 'rest only'],
  ['SubscriptionNotificationService', 'external-change', 'rest only'],
  ['DiagnosticsService', 'async-response', 'rest only'],
  ['IntelligenceService', 'external-change', 'rest only'],
];

describe('service catalogue', () => {
  it('holds exactly the services of THINGSPACE.md §1 and §6', () => {
    expect(SERVICES.map((entry) => entry.name).sort()).toEqual(TABLE.map(([name]) => name).sort());
  });

  it.each(TABLE)(
    '%s: its formats, and findSoapService finds it only with SOAP',
    (name, _category, formats) => {
      expect(findService(name)?.formats).toEqual(formats === 'rest only' ? ['rest'] : ['soap', 'rest']);
      expect(findSoapService(name)?.name).toBe(formats === 'rest only' ? undefined : name);
      expect(SOAP_SERVICES.some((entry) => entry.name === name)).toBe(formats !== 'rest only');
    },
  );

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
    'NetworkEventService',
    'VIPCallbackService',
    '',
    'constructor',
    '__proto__',
    'toString',
    'Carrier Service',
  ])('an unknown service name (%j) is an UnknownServiceError, not a crash', (name) => {
    expect(findService(name)).toBeUndefined();
    expect(findSoapService(name)).toBeUndefined();
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
