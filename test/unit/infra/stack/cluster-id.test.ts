import { clusterId } from '../../../infra/stack/cluster-id';

describe('clusterId', () => {
  it('gives 22-character base64url ids of 16 bytes that never start with "-" (100,000 draws)', () => {
    const seen = new Set<string>();
    let bad = 0;
    for (let i = 0; i < 100_000; i++) {
      const id = clusterId();
      const ok =
        id.length === 22 &&
        /^[A-Za-z0-9_-]{22}$/.test(id) &&
        !id.startsWith('-') &&
        Buffer.from(id, 'base64url').length === 16 &&
        Buffer.from(id, 'base64url').toString('base64url') === id;
      if (!ok) bad++;
      seen.add(id);
    }
    expect(bad).toBe(0);
    expect(seen.size).toBe(100_000);
  });

  it('draws again when the bytes would give a leading "-" (first six bits 111110), as Kafka does', () => {
    // 0xf8..0xfb encode to '-' first: about one draw in 64 did, and StorageTool read the id as an option.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0xfb), Buffer.alloc(16, 0x42)];
    const random = jest.fn(() => draws.shift()!);
    expect(Buffer.alloc(16, 0xf8).toString('base64url')).toMatch(/^-/);
    expect(clusterId(random)).toBe(Buffer.alloc(16, 0x42).toString('base64url'));
    expect(random).toHaveBeenCalledTimes(3);
  });

  it("keeps a leading '_' (only '-' reads as an option) and skips Kafka's reserved ids", () => {
    const reserved = [Buffer.alloc(16), Buffer.from([...Array<number>(15).fill(0), 1])];
    const underscore = Buffer.alloc(16, 0xfc);
    const random = jest.fn(() => reserved.shift() ?? underscore);
    expect(clusterId(random)).toMatch(/^_/);
    expect(random).toHaveBeenCalledTimes(3);
  });
});
