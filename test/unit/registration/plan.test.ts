/**
 * planSync, the pure heart of `callbacks sync`: every combination of desired and actual state for one service,
 * the ordering and the account rules, and convergence: applying a plan to a model of the platform and planning
 * again leaves nothing to do, from any starting point.
 */
import { findSoapService, SOAP_SERVICES } from '../../../src/thingspace/catalogue';
import type { ServiceName } from '../../../src/thingspace/catalogue';
import { changesOf, countByAction, InvalidRegistrationError, planSync } from '../../../src/registration';
import type { CallbackRegistration, DesiredRegistration, PlannedChange } from '../../../src/registration';
import { Secret } from '../../../src/util/secret';

const ACCOUNT = '0000123456-00001';
const BASE = 'https://bridge.example.com';

function want(serviceName: ServiceName, overrides: Partial<DesiredRegistration> = {}): DesiredRegistration {
  return {
    accountName: ACCOUNT,
    serviceName,
    url: `${BASE}/callbacks/${serviceName}`,
    username: 'acme',
    password: new Secret('pw'),
    ...overrides,
  };
}

function has(serviceName: string, overrides: Partial<CallbackRegistration> = {}): CallbackRegistration {
  return {
    accountName: ACCOUNT,
    serviceName,
    url: `${BASE}/callbacks/${serviceName}`,
    username: 'acme',
    ...overrides,
  };
}

/** `action service [reasons]` per entry: what an operator reads in the plan. */
function summary(entries: readonly PlannedChange[]): string[] {
  return entries.map((entry) => {
    const service = 'desired' in entry ? entry.desired.serviceName : entry.actual.serviceName;
    return entry.action === 'reregister'
      ? `${entry.action} ${service} [${entry.reasons.join(',')}]`
      : `${entry.action} ${service}`;
  });
}

function plan(desired: DesiredRegistration[], actual: CallbackRegistration[], force = false): string[] {
  return summary(planSync({ accounts: [ACCOUNT], desired, actual, force }).entries);
}

describe('planSync: one service, every combination', () => {
  type ActualState = 'absent' | 'same' | 'other-url' | 'other-user' | 'no-user-reported' | 'twice';
  const actualOf: Record<ActualState, CallbackRegistration[]> = {
    absent: [],
    same: [has('CarrierService')],
    'other-url': [has('CarrierService', { url: 'https://old.example.com/cb' })],
    'other-user': [has('CarrierService', { username: 'someone-else' })],
    'no-user-reported': [has('CarrierService', { username: undefined })],
    twice: [has('CarrierService'), has('CarrierService', { url: 'https://old.example.com/cb' })],
  };
  const expected: Record<ActualState, [desired: string, notDesired: string, forced: string]> = {
    absent: ['register', '', 'register'],
    same: ['unchanged', 'unregister', 'reregister [forced]'],
    'other-url': ['reregister [url]', 'unregister', 'reregister [url,forced]'],
    'other-user': ['reregister [username]', 'unregister', 'reregister [username,forced]'],
    'no-user-reported': ['unchanged', 'unregister', 'reregister [forced]'],
    twice: ['reregister [duplicate]', 'unregister', 'reregister [duplicate,forced]'],
  };

  it.each(Object.keys(actualOf) as ActualState[])('registered: %s', (state) => {
    const [desired, notDesired, forced] = expected[state];
    // 'reregister [url]' -> ['reregister CarrierService [url]']; '' -> nothing planned.
    const line = (spec: string) => {
      const [action, reasons] = spec.split(' ');
      return action ? [[action, 'CarrierService', reasons].filter(Boolean).join(' ')] : [];
    };
    expect(plan([want('CarrierService')], actualOf[state])).toEqual(line(desired));
    expect(plan([], actualOf[state])).toEqual(line(notDesired));
    expect(plan([want('CarrierService')], actualOf[state], true)).toEqual(line(forced));
    // --force re-registers only what is wanted; it never removes more.
    expect(plan([], actualOf[state], true)).toEqual(line(notDesired));
  });
});

describe('planSync: comparing', () => {
  it('compares URLs as parsed: host case, default port, empty path', () => {
    expect(
      plan(
        [want('CarrierService', { url: 'https://bridge.example.com/callbacks/CarrierService' })],
        [has('CarrierService', { url: ' HTTPS://Bridge.Example.com:443/callbacks/CarrierService' })],
      ),
    ).toEqual(['unchanged CarrierService']);
    expect(
      plan(
        [want('CarrierService', { url: 'https://bridge.example.com/callbacks/CarrierService' })],
        [has('CarrierService', { url: 'https://bridge.example.com/callbacks/carrierservice' })],
      ),
    ).toEqual(['reregister CarrierService [url]']);
  });

  it('compares services through the catalogue: case and the platform spellings', () => {
    expect(
      plan(
        [want('PromoChange'), want('ExternalProvisioningChanges')],
        [
          has('PromoChanges', { url: `${BASE}/callbacks/PromoChange` }),
          has('externalprovisioningchange', { url: `${BASE}/callbacks/ExternalProvisioningChanges` }),
        ],
      ),
    ).toEqual(['unchanged ExternalProvisioningChanges', 'unchanged PromoChange']);
  });

  it('a registration without credentials counts as another username', () => {
    expect(plan([want('CarrierService')], [has('CarrierService', { username: '' })])).toEqual([
      'reregister CarrierService [username]',
    ]);
  });

  it('unregisters a service by the name the platform reported, once even when registered twice', () => {
    const entries = planSync({
      accounts: [ACCOUNT],
      desired: [],
      actual: [has('PromoChanges'), has('promochange')],
    }).entries;
    expect(entries).toEqual([{ action: 'unregister', actual: has('PromoChanges') }]);
  });

  it('leaves services it does not know alone, listed last', () => {
    expect(
      plan([want('CarrierService')], [has('NiddService'), has('CarrierService'), has('AnotherRestOne')]),
    ).toEqual(['unchanged CarrierService', 'ignored AnotherRestOne', 'ignored NiddService']);
  });
});

describe('planSync: order and accounts', () => {
  it('lists per account in the order given, services in catalogue order', () => {
    const other = '0000999999-00001';
    const result = planSync({
      accounts: [other, ACCOUNT],
      desired: [want('AlertService'), want('CarrierService'), want('DeviceUsage', { accountName: other })],
      actual: [has('PromoChange'), has('DeviceService', { accountName: other })],
    });
    expect(
      result.entries.map((entry) => {
        const { accountName, serviceName } = 'desired' in entry ? entry.desired : entry.actual;
        return `${accountName} ${entry.action} ${serviceName}`;
      }),
    ).toEqual([
      `${other} unregister DeviceService`,
      `${other} register DeviceUsage`,
      `${ACCOUNT} register CarrierService`,
      `${ACCOUNT} unregister PromoChange`,
      `${ACCOUNT} register AlertService`,
    ]);
    expect(countByAction(result)).toEqual({
      register: 3,
      reregister: 0,
      unregister: 2,
      unchanged: 0,
      ignored: 0,
    });
  });

  it("removes every registration of a managed account that wants none, and never touches another account's", () => {
    const result = planSync({
      accounts: [ACCOUNT],
      desired: [],
      actual: [has('CarrierService'), has('CarrierService', { accountName: 'not-managed' })],
    });
    expect(summary(result.entries)).toEqual(['unregister CarrierService']);
  });

  it('refuses two URLs for one service of one account (§1)', () => {
    expect(() =>
      planSync({
        accounts: [ACCOUNT],
        desired: [want('CarrierService'), want('CarrierService', { url: `${BASE}/other` })],
        actual: [],
      }),
    ).toThrow(InvalidRegistrationError);
  });

  it('an empty plan for nothing desired and nothing registered', () => {
    expect(planSync({ accounts: [ACCOUNT], desired: [], actual: [] }).entries).toEqual([]);
  });
});

describe('planSync: convergence', () => {
  /** The platform as §1 and §5 describe it: one registration per service and account, replaced on register. */
  function apply(actual: CallbackRegistration[], desired: DesiredRegistration[], force: boolean) {
    const state = [...actual];
    for (const change of changesOf(planSync({ accounts: [ACCOUNT], desired, actual: state, force }))) {
      const service = change.action === 'unregister' ? change.actual.serviceName : change.desired.serviceName;
      const same = (entry: CallbackRegistration) =>
        findSoapService(entry.serviceName)?.name === findSoapService(service)?.name;
      for (let i = state.length - 1; i >= 0; i--) if (same(state[i]!)) state.splice(i, 1);
      if (change.action !== 'unregister') {
        const { accountName, serviceName, url, username } = change.desired;
        state.push({ accountName, serviceName, url, username });
      }
    }
    return state;
  }

  /** A small deterministic generator, so a failure reproduces. */
  function random(seed: number) {
    let value = seed;
    return () => {
      value = (value * 1_103_515_245 + 12_345) % 2 ** 31;
      return value / 2 ** 31;
    };
  }

  it('from 500 random starting points, one apply reaches the desired state and leaves nothing to change', () => {
    const next = random(42);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
    const urls = [`${BASE}/a`, `${BASE}/b`, 'https://old.example.com/x'];
    for (let run = 0; run < 500; run++) {
      const desired = SOAP_SERVICES.filter(() => next() < 0.5).map(({ name }) =>
        want(name, { url: pick(urls) }),
      );
      const actual = SOAP_SERVICES.flatMap(({ name, aliases }) =>
        Array.from({ length: Math.floor(next() * 3) }, () =>
          has(pick([name, name.toLowerCase(), ...aliases]), {
            url: pick(urls),
            username: pick(['acme', '', undefined, 'x']),
          }),
        ),
      );
      if (next() < 0.3) actual.push(has('NiddService'));
      const force = next() < 0.2;
      const after = apply(actual, desired, force);
      expect(changesOf(planSync({ accounts: [ACCOUNT], desired, actual: after }))).toEqual([]);
      // And the platform holds exactly what is desired (a username it does not report cannot be told apart),
      // besides the services sync leaves alone.
      const held = after
        .filter((entry) => findSoapService(entry.serviceName) !== undefined)
        .map(
          (entry) => `${findSoapService(entry.serviceName)!.name} ${entry.url} ${entry.username ?? 'acme'}`,
        )
        .sort();
      expect(held).toEqual(desired.map((entry) => `${entry.serviceName} ${entry.url} acme`).sort());
    }
  });
});
