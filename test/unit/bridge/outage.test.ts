import { parseConfig } from '../../../src/config';
import { affectedAccounts, recoverableAccounts } from '../../../src/bridge/outage';

function configWith(
  accounts: { name: string; services: string[] }[],
  services: Record<string, unknown> = {},
) {
  return parseConfig(
    {
      accounts: accounts.map((account, i) => ({ ...account, username: `u${i}`, password: 'pw-1234' })),
      services,
      kafka: { brokers: ['k:9092'] },
      schemaRegistry: { url: 'http://r:8081' },
    },
    {},
  ).config;
}

const config = configWith([
  { name: 'all', services: ['*'] },
  { name: 'sms', services: ['CarrierService', 'enhancedconnectivityservice'] },
  { name: 'nidd', services: ['NiddService'] },
  { name: 'carrier', services: ['CarrierService'] },
]);

describe('outage: which accounts may have device messages queued at the platform', () => {
  it('a refusal after authentication: its account alone', () => {
    expect(
      affectedAccounts({ kind: 'refused', service: 'EnhancedConnectivityService', account: 'sms' }, config),
    ).toEqual(['sms']);
  });

  it('a refusal before authentication: every account that may receive the service', () => {
    expect(affectedAccounts({ kind: 'refused', service: 'EnhancedConnectivityService' }, config)).toEqual([
      'all',
      'sms',
    ]);
    expect(affectedAccounts({ kind: 'refused', service: 'NiddService' }, config)).toEqual(['all', 'nidd']);
  });

  it('a refusal of a service the platform re-sends concerns nobody', () => {
    expect(
      affectedAccounts({ kind: 'refused', service: 'CarrierService', account: 'carrier' }, config),
    ).toEqual([]);
    expect(affectedAccounts({ kind: 'refused', service: 'CarrierService' }, config)).toEqual([]);
  });

  it('lost readiness or a crash: every account taking a queuing service', () => {
    expect(affectedAccounts({ kind: 'not-ready', reason: 'spool-full' }, config)).toEqual([
      'all',
      'sms',
      'nidd',
    ]);
    expect(affectedAccounts({ kind: 'crashed' }, config)).toEqual(['all', 'sms', 'nidd']);
  });

  it('a service the node disables (any spelling) takes its accounts out', () => {
    const noSms = configWith(
      [
        { name: 'sms', services: ['EnhancedConnectivityService'] },
        { name: 'nidd', services: ['NiddService'] },
      ],
      { enhancedconnectivityservice: { enabled: false } },
    );
    expect(recoverableAccounts(noSms)).toEqual(['nidd']);
  });
});
