import { randomString } from '../src/random-pool';

describe('randomString', () => {
  it('when ids of mixed sizes are drawn across many 4 KiB pools, then each has its length and none repeats', () => {
    const sizes = [8, 16, 3, 16];
    const ids = Array.from({ length: 4_000 }, (_, i) => {
      const bytes = sizes[i % sizes.length]!;
      const id = randomString(bytes, 'hex');
      expect(id).toMatch(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
      return id;
    });
    const long = ids.filter((id) => id.length >= 16);
    expect(new Set(long).size).toBe(long.length);
  });

  it('then base64url is URL-safe and every position varies (random bytes, not a counter)', () => {
    const ids = Array.from({ length: 2_000 }, () => randomString(16, 'base64url'));
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    for (let position = 0; position < 21; position++)
      expect(new Set(ids.map((id) => id[position])).size).toBeGreaterThanOrEqual(20);
  });
});
