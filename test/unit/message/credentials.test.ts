import { isCredentialName } from '../../../src/message/credentials';

describe('isCredentialName', () => {
  it.each([
    'Password',
    'PASSWORD',
    'passwd',
    'userPassword',
    'passphrase',
    'apiKey',
    'api_key',
    'API-Key',
    'x-api-key',
    'clientSecret',
    'client_secret',
    'accessToken',
    'refresh-token',
    'Authorization',
    'credentials',
    'privateKey',
    'private.key',
    'pwd',
    'PIN',
    'otp',
  ])('%s names a credential', (name) => {
    expect(isCredentialName(name)).toBe(true);
  });

  it.each([
    'Username',
    'AccountName',
    'Identifier',
    'Kind',
    'Status',
    'author',
    'spin',
    'keyword',
    'pinned',
    '',
  ])('%s does not', (name) => {
    expect(isCredentialName(name)).toBe(false);
  });
});
