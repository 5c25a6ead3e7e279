import { buildChart, percent } from '../../src/chart';
import type { Outcome } from '../../src/clients/upstream';
import { buildPage, likeNotice, shownBecause } from '../../src/page';
import { STATS, unavailable } from '../fakes';

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const results = (add: Outcome<number>, rest: Outcome<number> = add) => ({
  add,
  subtract: rest,
  multiply: rest,
  divide: rest,
});
const greeting = ok({
  greeting: 'Howdy Bob',
  variant: 'howdy',
  strategy: 'exploit',
  impression: 'i',
});

describe('buildPage', () => {
  it('when one maths call fails, then only its row carries the reason', () => {
    const view = buildPage(
      { name: 'Bob', x: 1, y: 0 },
      {
        greeting,
        stats: ok(STATS),
        results: {
          ...results(ok(1)),
          divide: { ok: false, kind: 'rejected', status: 422, message: 'Division by zero' },
        },
      },
    );
    expect(view.mathsNotice).toBeUndefined();
    expect(view.rows.map((r) => [r.id, r.expression, r.value ?? r.problem])).toEqual([
      ['result', '1 + 0', '1'],
      ['difference', '1 - 0', '1'],
      ['product', '1 × 0', '1'],
      ['quotient', '1 ÷ 0', 'Division by zero'],
    ]);
  });

  it('when every maths call is unavailable, then one notice stands for all four', () => {
    const view = buildPage(
      { name: 'Bob', x: 1, y: 1 },
      { greeting, stats: ok(STATS), results: results(unavailable('maths is not running')) },
    );
    expect(view.mathsNotice).toBe(
      'No results this time: maths is not running. Please try again in a moment.',
    );
  });

  it('when the experiment answers, then the page says how greetings chooses and why this one', () => {
    const view = buildPage(
      { name: 'Bob', x: 1, y: 1 },
      { greeting, stats: ok(STATS), results: results(ok(2)) },
    );
    expect(view.experiment).toMatchObject({
      ok: true,
      epsilon: '0.1',
      exploit: '90%',
      shown: 'You were shown “howdy”: chosen for its like rate (exploiting).',
    });
    expect(view.path).toBe('/Bob/1/1');
  });
});

describe('shownBecause', () => {
  it.each([
    ['explore', 'You were shown “hello”: picked at random, to keep learning (exploring).'],
    [
      'fallback',
      'You were shown “hello”: the default, because greetings cannot reach its store right now.',
    ],
  ])('when the strategy is %s, then: %s', (strategy, sentence) => {
    expect(shownBecause({ greeting: 'Hello', variant: 'hello', strategy, impression: null })).toBe(
      sentence,
    );
  });
});

describe('likeNotice', () => {
  it.each([
    [{}, undefined],
    [{ liked: '1' }, 'thanks'],
    [{ liked: '0', reason: 'used' }, undefined],
    [{ liked: ['1', '1'] }, undefined],
    [{ liked: 'yes' }, undefined],
  ])('when the query is %j, then the notice is %s', (query, kind) => {
    expect(likeNotice(query).like?.kind).toBe(kind);
  });
});

describe('buildChart', () => {
  it('when variants have been shown, then impressions and likes share one scale', () => {
    const chart = buildChart(STATS);
    expect(
      chart.rows.map((r) => [r.variant, r.impressionsWidth, r.likesWidth, r.likeRate, r.best]),
    ).toEqual([
      ['hello', 85, 17, '20%', false],
      ['howdy', 170, 68, '40%', true],
    ]);
    expect(chart.summary).toBe(
      'hello: shown 10 times, liked 2 times, like rate 20%; howdy (best so far): shown 20 times, liked 8 times, like rate 40%.',
    );
  });

  it('when nothing has been shown yet, then the bars are empty, the rate unknown and nobody is best', () => {
    const chart = buildChart({
      ...STATS,
      best: 'hello',
      variants: [{ variant: 'hello', impressions: 0, likes: 0, likeRate: 0 }],
    });
    expect(chart.rows[0]).toMatchObject({
      impressionsWidth: 0,
      likesWidth: 0,
      likeRate: '–',
      best: false,
    });
  });

  it('when rates are awkward, then percent rounds to one decimal and stays within 0..100', () => {
    expect([0.123456, 1 / 3, 1, 1.5, -1].map(percent)).toEqual([
      '12.3%',
      '33.3%',
      '100%',
      '100%',
      '0%',
    ]);
  });
});
