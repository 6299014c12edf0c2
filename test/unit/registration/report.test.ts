/** What operators read: the plan (in the manner of `terraform plan`) and the list of registrations. */
import { formatPlan, formatRegistrations, planSync } from '../../../src/registration';
import type { CallbackRegistration, DesiredRegistration } from '../../../src/registration';
import type { ServiceName } from '../../../src/thingspace/catalogue';
import { Secret } from '../../../src/util/secret';

const A = '0000123456-00001';
const B = '0000654321-00001';
const PASSWORD = 'cb-pw-never-printed';

const want = (accountName: string, serviceName: ServiceName, url: string): DesiredRegistration => ({
  accountName,
  serviceName,
  url,
  username: 'acme',
  password: new Secret(PASSWORD),
});
const has = (
  accountName: string,
  serviceName: string,
  url: string,
  username?: string,
): CallbackRegistration => ({
  accountName,
  serviceName,
  url,
  ...(username === undefined ? {} : { username }),
});

describe('formatPlan', () => {
  it('a sign per service, per account, and a summary', () => {
    const plan = planSync({
      accounts: [A, B],
      desired: [
        want(A, 'CarrierService', 'https://b.example.com/callbacks/CarrierService'),
        want(A, 'DeviceUsage', 'https://b.example.com/callbacks/DeviceUsage'),
        want(A, 'PromoChange', 'https://b.example.com/callbacks/PromoChange'),
        want(B, 'AlertService', 'https://b.example.com/callbacks/AlertService'),
      ],
      actual: [
        has(A, 'DeviceUsage', 'https://old.example.com/du'),
        has(A, 'PromoChange', 'https://b.example.com/callbacks/PromoChange', 'someone'),
        has(A, 'DeviceService', 'https://b.example.com/callbacks/DeviceService'),
        has(A, 'NiddService', 'https://rest.example.com/nidd'),
        has(B, 'AlertService', 'https://b.example.com/callbacks/AlertService'),
      ],
    });
    const text = formatPlan(plan);
    expect(text).toBe(
      [
        `account ${A}`,
        '  + CarrierService  https://b.example.com/callbacks/CarrierService',
        '  - DeviceService   https://b.example.com/callbacks/DeviceService',
        '  ~ DeviceUsage     https://old.example.com/du -> https://b.example.com/callbacks/DeviceUsage  (URL)',
        '  ~ PromoChange     https://b.example.com/callbacks/PromoChange  (username)',
        '  # NiddService     https://rest.example.com/nidd  (left alone: not a SOAP callback service the bridge knows)',
        '',
        `account ${B}`,
        '    AlertService    https://b.example.com/callbacks/AlertService',
        '',
        'Plan: 1 to register, 2 to re-register, 1 to unregister; 1 unchanged, 1 left alone.',
        '',
      ].join('\n'),
    );
    expect(text).not.toContain(PASSWORD);
  });

  it('says so when there is nothing to do', () => {
    expect(formatPlan(planSync({ accounts: [A], desired: [], actual: [] }))).toBe(
      'No changes: 0 unchanged.\n',
    );
  });
});

describe('formatRegistrations', () => {
  it('a table: whether credentials are set, as far as the platform says', () => {
    expect(
      formatRegistrations([
        has(A, 'CarrierService', 'https://b.example.com/cs', 'acme'),
        has(A, 'PromoChange', 'https://b.example.com/pc', ''),
        has(B, 'AlertService', 'https://b.example.com/as'),
      ]),
    ).toBe(
      [
        'ACCOUNT           SERVICE         URL                       CREDENTIALS',
        `${A}  CarrierService  https://b.example.com/cs  yes`,
        `${A}  PromoChange     https://b.example.com/pc  no`,
        `${B}  AlertService    https://b.example.com/as  not reported`,
        '',
      ].join('\n'),
    );
    expect(formatRegistrations([])).toBe('No callback registrations.\n');
  });
});
