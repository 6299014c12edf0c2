import { ConfigError } from '../../../src/config';
import { formatPath } from '../../../src/config/errors';

describe('ConfigError', () => {
  it('has the stable code CONFIG_INVALID and lists every issue', () => {
    const error = new ConfigError([
      { path: 'accounts[1].password', message: 'one of password, passwordFile, passwordEnv is required' },
      { path: '', message: 'no config file: pass --config <path> or set BRIDGE_CONFIG' },
    ]);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', name: 'ConfigError' });
    expect(error.message).toBe(
      [
        'invalid configuration (2 problems):',
        '  accounts[1].password: one of password, passwordFile, passwordEnv is required',
        '  no config file: pass --config <path> or set BRIDGE_CONFIG',
      ].join('\n'),
    );
    expect(new ConfigError([{ path: 'log', message: 'x' }]).message).toMatch(
      /^invalid configuration \(1 problem\):/,
    );
  });
});

describe('formatPath', () => {
  it.each([
    [['accounts', 1, 'password'], 'accounts[1].password'],
    [['services', 'CarrierService', 'port'], 'services.CarrierService.port'],
    [['services', 'Odd.Name', 'port'], 'services["Odd.Name"].port'],
    [[0, 'name'], '[0].name'],
    [[], ''],
  ])('%j -> %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});
