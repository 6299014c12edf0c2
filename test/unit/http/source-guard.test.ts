import { parseCidr, type Cidr } from '../../../src/config/cidr';
import { createSourceGuard } from '../../../src/http/source-guard';

const cidrs = (...texts: string[]): Cidr[] => texts.map((t) => parseCidr(t)!);

describe('source guard', () => {
  it('allows everyone when the list is empty', () => {
    const guard = createSourceGuard({ allowedSources: [], trustProxy: 0 });
    expect(guard('203.0.113.9', undefined)).toEqual({ clientIp: '203.0.113.9', allowed: true });
  });

  it('checks IPv4 and IPv6 subnets and single hosts', () => {
    const guard = createSourceGuard({
      allowedSources: cidrs('192.0.2.0/24', '2001:db8::/32', '198.51.100.7'),
      trustProxy: 0,
    });
    expect(guard('192.0.2.200', undefined).allowed).toBe(true);
    expect(guard('192.0.3.1', undefined).allowed).toBe(false);
    expect(guard('2001:db8:1::5', undefined).allowed).toBe(true);
    expect(guard('2001:db9::5', undefined).allowed).toBe(false);
    expect(guard('198.51.100.7', undefined).allowed).toBe(true);
    expect(guard('198.51.100.8', undefined).allowed).toBe(false);
  });

  it('matches IPv4-mapped IPv6 peers against IPv4 entries', () => {
    const guard = createSourceGuard({ allowedSources: cidrs('127.0.0.0/8'), trustProxy: 0 });
    expect(guard('::ffff:127.0.0.1', undefined)).toEqual({ clientIp: '127.0.0.1', allowed: true });
  });

  it('ignores X-Forwarded-For unless proxies are trusted', () => {
    const guard = createSourceGuard({ allowedSources: cidrs('192.0.2.0/24'), trustProxy: 0 });
    expect(guard('10.0.0.1', '192.0.2.1')).toEqual({ clientIp: '10.0.0.1', allowed: false });
  });

  it('takes the address the trusted hops saw, never what the client wrote further left', () => {
    const oneHop = createSourceGuard({ allowedSources: cidrs('192.0.2.0/24'), trustProxy: 1 });
    // The client forged "192.0.2.1"; the trusted proxy appended the real peer, 203.0.113.5.
    expect(oneHop('10.0.0.1', '192.0.2.1, 203.0.113.5')).toEqual({ clientIp: '203.0.113.5', allowed: false });
    expect(oneHop('10.0.0.1', '192.0.2.77')).toEqual({ clientIp: '192.0.2.77', allowed: true });

    const twoHops = createSourceGuard({ allowedSources: cidrs('192.0.2.0/24'), trustProxy: 2 });
    expect(twoHops('10.0.0.1', '198.51.100.1, 192.0.2.9, 10.0.0.2').clientIp).toBe('192.0.2.9');
    // Fewer entries than trusted hops: the leftmost is the best we know.
    expect(twoHops('10.0.0.1', '192.0.2.3').clientIp).toBe('192.0.2.3');
  });
});
