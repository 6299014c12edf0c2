/**
 * The UWS v2 wire format against THINGSPACE.md §5, written out by hand here: the client and the simulator share
 * src/registration/protocol.ts, so only a test that does not use it for its expectations can catch a
 * mistake both would agree on.
 */
import { readEnvelope } from '../../../src/soap/envelope';
import {
  endpointOf,
  readOutput,
  readRequest,
  soapActionOf,
  writeRequest,
  writeResponse,
} from '../../../src/registration/protocol';

const V2 = 'http://nphase.com/unifiedwebservice/v2';
const CONTRACT = 'http://schemas.datacontract.org/2004/07/NPhase.UnifiedWebService.APIs.v2.Contract.';

describe('endpoints and actions (§5)', () => {
  it.each([
    ['LogIn', 'SessionService'],
    ['LogOut', 'SessionService'],
    ['GetCallbackRegistrations', 'CallbackRegistrationService'],
    ['RegisterCallback', 'CallbackRegistrationService'],
    ['UnregisterCallback', 'CallbackRegistrationService'],
    ['StartSmsCallback', 'EnhancedConnectivityService'],
  ] as const)('%s: %s.svc', (operation, service) => {
    expect(endpointOf('https://uws.example.com/api/v2/', operation)).toBe(
      `https://uws.example.com/api/v2/${service}.svc`,
    );
    expect(soapActionOf(operation)).toBe(`${V2}/I${service}/${operation}`);
  });
});

describe('requests', () => {
  it('RegisterCallback: token in the header, fields in the data-contract namespace, in the order of §5', () => {
    expect(
      writeRequest(
        'RegisterCallback',
        [
          ['AccountName', '0000123456-00001'],
          ['ServiceName', 'CarrierService'],
          ['Url', 'https://bridge.example.com/callbacks/CarrierService?a=1&b=2'],
          ['Username', 'acme'],
          ['Password', 'p<w>'],
        ],
        'tok&en',
      ),
    ).toBe(
      '<?xml version="1.0" encoding="utf-8"?>' +
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">' +
        `<s:Header><token xmlns="${V2}">tok&amp;en</token></s:Header>` +
        `<s:Body><RegisterCallback xmlns="${V2}">` +
        `<Input xmlns:d="${CONTRACT}CallbackRegistrationService">` +
        '<d:AccountName>0000123456-00001</d:AccountName><d:ServiceName>CarrierService</d:ServiceName>' +
        '<d:Url>https://bridge.example.com/callbacks/CarrierService?a=1&amp;b=2</d:Url>' +
        '<d:Username>acme</d:Username><d:Password>p&lt;w&gt;</d:Password>' +
        '</Input></RegisterCallback></s:Body></s:Envelope>',
    );
  });

  it('LogIn: no header, the SessionService contract', () => {
    expect(
      writeRequest('LogIn', [
        ['Username', 'api'],
        ['Password', 'pw'],
      ]),
    ).toBe(
      '<?xml version="1.0" encoding="utf-8"?>' +
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">' +
        `<s:Body><LogIn xmlns="${V2}"><Input xmlns:d="${CONTRACT}SessionService">` +
        '<d:Username>api</d:Username><d:Password>pw</d:Password></Input></LogIn></s:Body></s:Envelope>',
    );
  });

  it("StartSmsCallback: the EnhancedConnectivityService contract of Verizon's sample response (§5)", () => {
    const contract = `${CONTRACT}EnhancedConnectivityService`;
    expect(contract).toBe(
      'http://schemas.datacontract.org/2004/07/NPhase.UnifiedWebService.APIs.v2.Contract.EnhancedConnectivityService',
    );
    expect(writeRequest('StartSmsCallback', [['AccountName', '007']], 't')).toContain(
      `<StartSmsCallback xmlns="${V2}"><Input xmlns:d="${contract}"><d:AccountName>007</d:AccountName>`,
    );
    expect(writeResponse('StartSmsCallback', [])).toContain(`<Output xmlns:a="${contract}">`);
  });

  it('reads back as the fake reads it: operation, token, Input fields', () => {
    const request = readRequest(
      readEnvelope(writeRequest('StartSmsCallback', [['AccountName', '007']], 't')),
    );
    expect(request).toMatchObject({ operation: 'StartSmsCallback', token: 't' });
    expect(request?.input.children.map(({ name, text }) => [name, text])).toEqual([['AccountName', '007']]);
  });
});

describe('responses', () => {
  it('a list of registrations, as the fake writes it', () => {
    const xml = writeResponse('GetCallbackRegistrations', [
      ['AccountName', '007'],
      {
        name: 'ServiceCallbacks',
        items: [{ name: 'ServiceCallback', items: [['ServiceName', 'PromoChange']] }],
      },
    ]);
    expect(xml).toContain(
      `<GetCallbackRegistrationsResponse xmlns="${V2}"><Output xmlns:a="${CONTRACT}CallbackRegistrationService">` +
        '<a:AccountName>007</a:AccountName><a:ServiceCallbacks><a:ServiceCallback>' +
        '<a:ServiceName>PromoChange</a:ServiceName></a:ServiceCallback></a:ServiceCallbacks></Output>',
    );
  });

  it('readOutput finds the Output of the operation, or an empty one, or none', () => {
    const output = readOutput(readEnvelope(writeResponse('LogIn', [['SessionToken', 'x']])), 'LogIn');
    expect(output?.children[0]).toMatchObject({ name: 'SessionToken', text: 'x' });
    const bare = readEnvelope(
      `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><LogOutResponse xmlns="${V2}"/></s:Body></s:Envelope>`,
    );
    expect(readOutput(bare, 'LogOut')).toMatchObject({ name: 'Output', children: [] });
    expect(readOutput(bare, 'LogIn')).toBeUndefined();
  });
});
