import { percent, thresholdPercent } from '@friendly-calculator/common';
import type { Outcome } from '../../src/outcome';
import {
  buildPage,
  experimentPanel,
  explain,
  likeNotice,
  rememberLastPanel,
  shownBecause,
  verdict,
  type LikeCheck,
} from '../../src/page';
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
  experiment: STATS,
});

describe('rememberLastPanel', () => {
  // Each answer is parsed afresh, as the client does: equal numbers, never the same object.
  const parsed = () => JSON.parse(JSON.stringify(STATS)) as typeof STATS;

  it('when greetings sends the same numbers again (a new object), then the panel is the one drawn before', () => {
    const panel = rememberLastPanel();
    const first = panel(parsed());
    for (let i = 0; i < 50; i++) expect(panel(parsed())).toBe(first);
    expect(first).toEqual(experimentPanel(STATS));
  });

  it('when any number changes, then the panel is drawn again from the new numbers', () => {
    const panel = rememberLastPanel();
    const first = panel(STATS);
    const [a, ...rest] = STATS.variants;
    const oneMore = { ...STATS, variants: [{ ...a!, shown: a!.shown + 1 }, ...rest] };
    const second = panel(oneMore);
    expect(second).not.toBe(first);
    expect(second).toEqual(experimentPanel(oneMore));
    expect(panel({ ...oneMore, state: 'paused' })).toEqual(
      experimentPanel({ ...oneMore, state: 'paused' }),
    );
    expect(panel(STATS)).toEqual(first);
  });

  it('then a page built with it is the page built without it', () => {
    const panel = rememberLastPanel();
    const input = { name: 'Bob', x: 1, y: 1 };
    const answers = { greeting, results: results(ok(2)) };
    buildPage(input, answers, panel);
    expect(buildPage(input, answers, panel)).toEqual(buildPage(input, answers));
  });
});

describe('buildPage', () => {
  it('when one maths call fails, then only its row carries the reason', () => {
    const view = buildPage(
      { name: 'Bob', x: 1, y: 0 },
      {
        greeting,
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
      { greeting, results: results(unavailable('maths is not running')) },
    );
    expect(view.mathsNotice).toBe(
      'No results this time: maths is not running. Please try again in a moment.',
    );
  });

  it('when the experiment answers, then the page says the phase, how greetings chooses, why this one, and who is best', () => {
    const view = buildPage({ name: 'Bob', x: 1, y: 1 }, { greeting, results: results(ok(2)) });
    expect(view.experiment).toMatchObject({
      ok: true,
      heading: 'Phase 2 · running',
      explanation:
        'greetings shows the greeting with the best like rate to 90% of visitors and a random one to the rest (ε = 0.1), so it keeps learning what people like. It looks only at the like rate so far (likes ÷ shown); P(best) also weighs how often each was shown, so while the numbers are small the two can disagree.',
      verdict:
        'Still learning: a greeting is called best once every greeting has been shown 100 times and one is at least 99.5% likely to be the best.',
      shown: 'You were shown “howdy”: chosen for its like rate (exploiting).',
    });
    expect(view.path).toBe('/Bob/1/1');
  });

  it('when the greeting is a fallback without numbers, then the experiment says so', () => {
    const view = buildPage(
      { name: 'Bob', x: 1, y: 1 },
      {
        greeting: ok({
          greeting: 'Hello Bob',
          variant: 'hello',
          strategy: 'fallback',
          impression: null,
        }),
        results: results(ok(2)),
      },
    );
    expect(view.experiment).toEqual({
      ok: false,
      message: 'The numbers are not available right now: greetings cannot reach its store.',
    });
  });
});

describe('the rounding hint', () => {
  it('when a typed number was read as another, then the hint names both; when results are exact, nothing is marked', () => {
    const view = buildPage(
      { name: 'Bob', x: 9007199254740992, y: 0, typed: { x: '9007199254740993', y: '0' } },
      {
        greeting,
        results: {
          add: ok(9007199254740992),
          subtract: ok(9007199254740992),
          multiply: ok(0),
          divide: { ok: false, kind: 'rejected', status: 422, message: 'Division by zero' },
        },
      },
    );
    expect(view.rows.map((r) => r.rounded ?? false)).toEqual([false, false, false, false]);
    expect(view.roundingHint).toBe(
      '“9007199254740993” cannot be held exactly by a number here: it was read as 9007199254740992.',
    );
  });

  it('when maths rounded a result, then its row is marked and the hint says why; 0.1 + 0.2 is not', () => {
    const third = buildPage(
      { name: 'Bob', x: 1, y: 3, typed: { x: '1', y: '3' } },
      {
        greeting,
        results: { add: ok(4), subtract: ok(-2), multiply: ok(3), divide: ok(0.333333333333333) },
      },
    );
    expect(third.rows.map((r) => r.rounded ?? false)).toEqual([false, false, false, true]);
    expect(third.roundingHint).toBe(
      'Results marked “rounded” are not exact: maths rounds every result to 15 significant digits.',
    );
    const tenths = buildPage(
      { name: 'Bob', x: 0.1, y: 0.2, typed: { x: '0.1', y: '0.2' } },
      {
        greeting,
        results: { add: ok(0.3), subtract: ok(-0.1), multiply: ok(0.02), divide: ok(0.5) },
      },
    );
    expect(tenths.roundingHint).toBeUndefined();
  });
});

describe('explain and verdict', () => {
  it('describe the policy that is actually running, never ε under Thompson', () => {
    expect(explain({ ...STATS, policy: 'thompson' })).toMatch(/^greetings uses Thompson sampling/);
    expect(explain({ ...STATS, policy: 'thompson' })).not.toMatch(/ε/);
    expect(explain({ ...STATS, state: 'paused' })).toBe(
      'The experiment is paused: everyone sees “hello” (the control), and nothing is counted until it runs again.',
    );
    expect(explain({ ...STATS, state: 'shipped', shipped: 'howdy' })).toMatch(
      /“howdy” was shipped, everyone sees it/,
    );
  });

  it('name a best only when greetings does', () => {
    expect(verdict({ ...STATS, best: 'howdy' })).toBe(
      'Best so far: “howdy” (at least 99.5% likely to be the best).',
    );
    expect(verdict({ ...STATS, state: 'shipped', shipped: 'hello' })).toBe('Shipped: “hello”.');
  });
});

describe('shownBecause', () => {
  it.each([
    ['explore', 'You were shown “hello”: picked at random, to keep learning (exploring).'],
    ['paused', 'You were shown “hello”: the control, while the experiment is paused.'],
    [
      'fallback',
      'You were shown “hello”: the default, because greetings cannot reach its store right now.',
    ],
  ])('when the strategy is %s, then: %s', (strategy, sentence) => {
    expect(shownBecause({ greeting: 'Hello', variant: 'hello', strategy, impression: null })).toBe(
      sentence,
    );
  });

  it('when exploiting was a tie (every greeting at the same like rate), then it says so, not "chosen for its like rate"', () => {
    const tied = shownBecause({
      greeting: 'Howdy',
      variant: 'howdy',
      strategy: 'exploit',
      tie: true,
      impression: 'x',
      experiment: STATS,
    });
    expect(tied).toBe(
      'You were shown “howdy”: it tied with another greeting for the best like rate so far, so it was picked at random among them (exploiting).',
    );
    expect(tied).not.toMatch(/chosen for its like rate/);
    expect(
      shownBecause({
        greeting: 'Hi',
        variant: 'hi',
        strategy: 'exploit',
        tie: true,
        impression: 'x',
        experiment: { ...STATS, policy: 'thompson' },
      }),
    ).toBe(
      'You were shown “hi”: drawn by Thompson sampling; it shares the best like rate so far with another greeting (exploiting).',
    );
  });

  it('when the policy is Thompson sampling, then nothing is said to be picked at random', () => {
    const experiment = { ...STATS, policy: 'thompson' as const };
    const said = (strategy: string) =>
      shownBecause({ greeting: 'Hi', variant: 'hi', strategy, impression: null, experiment });
    expect(said('explore')).toBe(
      'You were shown “hi”: drawn by Thompson sampling although another greeting has a better like rate so far, to keep learning (exploring).',
    );
    expect(said('exploit')).toBe(
      'You were shown “hi”: drawn by Thompson sampling, and it has the best like rate so far (exploiting).',
    );
  });
});

describe('likeNotice (what greetings says of the impression, never what the link says)', () => {
  const check = (value: LikeCheck, experiment = STATS) =>
    likeNotice({ impression: 'imp', outcome: ok(value) }, experiment);

  it('when the impression was liked, then thanks', () => {
    expect(check({ status: 'liked', phase: 2, variant: 'howdy' })).toMatchObject({
      kind: 'thanks',
    });
  });

  it('when greetings hints it was liked before, then it says so, still only if it is counted', () => {
    const liked = { status: 'liked', phase: 2, variant: 'howdy' } as const;
    expect(
      likeNotice({ impression: 'imp', outcome: ok(liked), already: true }, STATS),
    ).toMatchObject({
      kind: 'sorry',
      message: expect.stringMatching(/^This greeting was already liked/),
    });
    expect(
      likeNotice({ impression: 'imp', outcome: ok({ status: 'unknown' }), already: true }, STATS)
        .message,
    ).toMatch(/unknown or has expired/);
  });

  it('when greetings hints its per-client limit refused the Like, then it says so, only while the impression is still pending', () => {
    const pending = { status: 'pending', phase: 2, variant: 'howdy' } as const;
    expect(
      likeNotice({ impression: 'imp', outcome: ok(pending), limited: true }, STATS),
    ).toMatchObject({
      kind: 'sorry',
      message: expect.stringMatching(/too many Likes came from your network/),
      retry: 'imp',
    });
    const liked = { status: 'liked', phase: 2, variant: 'howdy' } as const;
    expect(likeNotice({ impression: 'imp', outcome: ok(liked), limited: true }, STATS).kind).toBe(
      'thanks',
    );
  });

  it('when it is unknown or expired, then sorry, with nothing to retry', () => {
    const notice = check({ status: 'unknown' });
    expect(notice).toMatchObject({
      kind: 'sorry',
      message: expect.stringMatching(/unknown or has expired/),
    });
    expect(notice.retry).toBeUndefined();
  });

  it('when it is from an ended phase, then sorry, with nothing to retry', () => {
    const notice = check({ status: 'pending', phase: 1, variant: 'hello' });
    expect(notice.message).toMatch(/phase 1 of the experiment, which has ended/);
    expect(notice.retry).toBeUndefined();
  });

  it('when the phase is paused, then sorry, and a retry for later', () => {
    expect(
      check({ status: 'pending', phase: 2, variant: 'hello' }, { ...STATS, state: 'paused' }),
    ).toMatchObject({
      kind: 'sorry',
      message: expect.stringMatching(/paused/),
      retry: 'imp',
    });
  });

  it('when it is still pending in the running phase (the store failed), then a retry', () => {
    expect(check({ status: 'pending', phase: 2, variant: 'hello' })).toMatchObject({
      kind: 'sorry',
      message: expect.stringMatching(/could not store it.*Trying again is safe/),
      retry: 'imp',
    });
  });

  it('when greetings cannot be asked, then sorry, saying so, with a retry (always safe)', () => {
    expect(
      likeNotice(
        { impression: 'imp', outcome: unavailable('greetings did not answer within 1000 ms') },
        undefined,
      ),
    ).toEqual({
      kind: 'sorry',
      message:
        'We could not check on your Like just now (greetings did not answer within 1000 ms): it may not have been counted. Trying again is safe (a Like never counts twice).',
      retry: 'imp',
    });
  });
});

describe('percent', () => {
  it('rounds to one decimal and stays within 0..100', () => {
    expect([0.123456, 1 / 3, 1, 1.5, -1, 0].map(percent)).toEqual([
      '12.3%',
      '33.3%',
      '100%',
      '100%',
      '0%',
      '0%',
    ]);
  });

  it('never rounds a probability to a certainty', () => {
    expect([0.9996, 0.99949, 0.0004, 0.0005].map(percent)).toEqual([
      '> 99.9%',
      '99.9%',
      '< 0.1%',
      '0.1%',
    ]);
  });

  it('states a threshold exactly: the bar is 99.75%, not 99.8%', () => {
    expect([0.9975, 0.99875, 0.95, 0.9996875].map(thresholdPercent)).toEqual([
      '99.75%',
      '99.875%',
      '95%',
      '99.969%',
    ]);
  });
});
