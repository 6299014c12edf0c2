/** What the bridge's config asks to be registered (`callbacks sync`, `callbacks register`). */
import { parseConfig } from '../../../src/config';
import {
  callbackUrl,
  desiredRegistration,
  desiredRegistrations,
  InvalidRegistrationError,
  maskedUrl,
} from '../../../src/registration';
import { Secret } from '../../../src/util/secret';
import type { DesiredRegistration } from '../../../src/registration';

function settings(overrides: Record<string, unknown> = {}) {
  return parseConfig(
    {
      http: { publicBaseUrl: 'https://bridge.example.com:9001/edge/' },
      accounts: [
        { name: '0000111111-00001', username: 'all', password: 'pw-all', services: ['*'] },
        {
          name: '0000222222-00001',
          username: 'some',
          password: 'pw-some',
          services: ['promochanges', 'CarrierService', 'NiddService'],
        },
      ],
      services: { DeviceUsage: { enabled: false }, carrierservice: { port: 9002 } },
      kafka: { brokers: ['k:9092'] },
      schemaRegistry: { url: 'http://r:8081' },
      ...overrides,
    },
    {},
  ).config;
}

const brief = (entries: DesiredRegistration[]) =>
  entries.map((entry) => `${entry.accountName} ${entry.serviceName} ${entry.url} ${entry.username}`);

describe('desiredRegistrations', () => {
  it('per account, every service it may send that the bridge takes, in catalogue order, with its credentials', () => {
    const desired = desiredRegistrations(settings());
    expect(brief(desired)).toEqual([
      '0000111111-00001 CarrierService https://bridge.example.com:9002/edge/callbacks/CarrierService all',
      '0000111111-00001 DevicePRLInformation https://bridge.example.com:9001/edge/callbacks/DevicePRLInformation all',
      '0000111111-00001 DeviceService https://bridge.example.com:9001/edge/callbacks/DeviceService all',
      '0000111111-00001 DeviceSuspensionStatus https://bridge.example.com:9001/edge/callbacks/DeviceSuspensionStatus all',
      // DeviceUsage is disabled on the bridge.
      '0000111111-00001 SMSDeliveryConfirmation https://bridge.example.com:9001/edge/callbacks/SMSDeliveryConfirmation all',
      '0000111111-00001 EnhancedConnectivityService https://bridge.example.com:9001/edge/callbacks/EnhancedConnectivityService all',
      '0000111111-00001 ExternalProvisioningChanges https://bridge.example.com:9001/edge/callbacks/ExternalProvisioningChanges all',
      '0000111111-00001 PromoChange https://bridge.example.com:9001/edge/callbacks/PromoChange all',
      '0000111111-00001 ResumeTrackingNotification https://bridge.example.com:9001/edge/callbacks/ResumeTrackingNotification all',
      '0000111111-00001 AlertService https://bridge.example.com:9001/edge/callbacks/AlertService all',
      // Spellings resolved through the catalogue; NiddService (REST-only) is not registered.
      '0000222222-00001 CarrierService https://bridge.example.com:9002/edge/callbacks/CarrierService some',
      '0000222222-00001 PromoChange https://bridge.example.com:9001/edge/callbacks/PromoChange some',
    ]);
    expect(desired[0]!.password.reveal()).toBe('pw-all');
    expect(desired.at(-1)!.password.reveal()).toBe('pw-some');
  });

  it('needs http.publicBaseUrl', () => {
    expect(() => desiredRegistrations(settings({ http: {} }))).toThrow(/http.publicBaseUrl is not set/);
  });

  it('cannot register a service listening on port 0 (chosen at start)', () => {
    expect(() => desiredRegistrations(settings({ services: { PromoChange: { port: 0 } } }))).toThrow(
      /services.PromoChange.port is 0/,
    );
  });
});

describe('desiredRegistration', () => {
  it('one service of one account, at its URL or the one given', () => {
    expect(brief([desiredRegistration(settings(), '0000222222-00001', 'PromoChange')])).toEqual([
      '0000222222-00001 PromoChange https://bridge.example.com:9001/edge/callbacks/PromoChange some',
    ]);
    // An explicit URL needs no publicBaseUrl.
    expect(
      desiredRegistration(
        settings({ http: {} }),
        '0000222222-00001',
        'PromoChange',
        'https://x.example.com/p',
      ).url,
    ).toBe('https://x.example.com/p');
  });

  it('refuses a service the bridge would not take from that account, and an unknown account', () => {
    expect(() => desiredRegistration(settings(), '0000222222-00001', 'AlertService')).toThrow(
      InvalidRegistrationError,
    );
    expect(() => desiredRegistration(settings(), '0000111111-00001', 'DeviceUsage')).toThrow(
      /does not take DeviceUsage/,
    );
    expect(() => desiredRegistration(settings(), 'nobody', 'PromoChange')).toThrow(/no account named nobody/);
  });
});

describe('callbackUrl', () => {
  it.each([
    ['https://b.example.com', undefined, 'https://b.example.com/callbacks/PromoChange'],
    ['https://b.example.com/', 9004, 'https://b.example.com:9004/callbacks/PromoChange'],
    ['https://b.example.com:9001/base//', 443, 'https://b.example.com/base/callbacks/PromoChange'],
    ['http://127.0.0.1:8080/?q=1#h', undefined, 'http://127.0.0.1:8080/callbacks/PromoChange'],
  ])('%s on port %s', (base, port, url) => {
    expect(callbackUrl(base, 'PromoChange', port)).toBe(url);
  });
});

describe('an account with a path token', () => {
  const TOKEN = 'desired-test-token-4Kq9Zt2w';
  const withToken = (account: Record<string, unknown>) =>
    settings({
      accounts: [{ name: '0000333333-00001', services: ['PromoChange', 'CarrierService'], ...account }],
    });

  it('is registered at /callbacks/<token>/<Service>, on a service port too; without credentials, empty ones', () => {
    const desired = desiredRegistrations(withToken({ pathToken: TOKEN }));
    expect(brief(desired)).toEqual([
      `0000333333-00001 CarrierService https://bridge.example.com:9002/edge/callbacks/${TOKEN}/CarrierService `,
      `0000333333-00001 PromoChange https://bridge.example.com:9001/edge/callbacks/${TOKEN}/PromoChange `,
    ]);
    expect(desired.every((entry) => entry.password.isEmpty)).toBe(true);
    expect(desiredRegistration(withToken({ pathToken: TOKEN }), '0000333333-00001', 'PromoChange').url).toBe(
      `https://bridge.example.com:9001/edge/callbacks/${TOKEN}/PromoChange`,
    );
  });

  it('keeps its credentials beside the token when it has them', () => {
    const [first] = desiredRegistrations(withToken({ pathToken: TOKEN, username: 'u', password: 'pw' }));
    expect([first!.username, first!.password.reveal()]).toEqual(['u', 'pw']);
  });
});

describe('callbackUrl with a path token, and maskedUrl', () => {
  const TOKEN = 'mask-test-token-Hh3Jk9Lm0Pq';

  it('puts the token before the service', () => {
    expect(callbackUrl('https://b.example.com/base/', 'PromoChange', 9004, new Secret(TOKEN))).toBe(
      `https://b.example.com:9004/base/callbacks/${TOKEN}/PromoChange`,
    );
  });

  it.each([
    [
      `https://b.example.com/callbacks/${TOKEN}/PromoChange`,
      'https://b.example.com/callbacks/****/PromoChange',
    ],
    [
      `https://b.example.com:9001/callbacks/edge/callbacks/${TOKEN}/PromoChange`,
      'https://b.example.com:9001/callbacks/edge/callbacks/****/PromoChange',
    ],
    [
      `https://b.example.com/callbacks/${TOKEN}/PromoChange/?a#b`,
      'https://b.example.com/callbacks/****/PromoChange/?a#b',
    ],
    // Nothing to hide.
    ['https://b.example.com/callbacks/PromoChange', 'https://b.example.com/callbacks/PromoChange'],
    ['https://b.example.com/callbacks/PromoChange/', 'https://b.example.com/callbacks/PromoChange/'],
    ['https://rest.example.com/nidd', 'https://rest.example.com/nidd'],
    ['not a url', 'not a url'],
  ])('%s -> %s', (url, shown) => {
    expect(maskedUrl(url)).toBe(shown);
  });
});
