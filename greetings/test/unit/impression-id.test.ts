import { IMPRESSION_ID, newImpressionId } from '../../src/greeting/impression-id';

describe('newImpressionId', () => {
  it('when thousands are drawn (across many 4 KiB pools), then each is 22 URL-safe characters and none repeats', () => {
    const ids = Array.from({ length: 5_000 }, newImpressionId);
    for (const id of ids) expect(id).toMatch(IMPRESSION_ID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('then every character position varies (the bytes are random, not a counter)', () => {
    const ids = Array.from({ length: 2_000 }, newImpressionId);
    for (let position = 0; position < 22; position++) {
      // 64 symbols, 2,000 draws: far more than 20 distinct ones per position
      // (the last one carries only 2 random bits: 4 values).
      const distinct = new Set(ids.map((id) => id[position])).size;
      expect(distinct).toBeGreaterThanOrEqual(position === 21 ? 4 : 20);
    }
  });
});
