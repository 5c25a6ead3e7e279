import {
  axisTicks,
  chartSummary,
  experimentChartSvg,
  type ChartVariant,
} from '../src/experiment-chart';

const variant = (over: Partial<ChartVariant>): ChartVariant => ({
  name: 'hello',
  shown: 10,
  liked: 2,
  likeRate: 0.2,
  interval: [0.05, 0.5],
  pBest: 0.5,
  ...over,
});

/** The tick labels of a chart, left to right. */
const tickLabels = (svg: string) => [...svg.matchAll(/class="tick">([^<]*)</g)].map((m) => m[1]);

describe('axisTicks', () => {
  it.each([
    [1, [0, 0.25, 0.5, 0.75, 1]],
    [0.95, [0, 0.25, 0.5, 0.75, 1]],
    [0.65, [0, 0.25, 0.5, 0.75]],
    [0.14, [0, 0.05, 0.1, 0.15]],
    [0.3, [0, 0.1, 0.2, 0.3]],
    [0.05, [0, 0.02, 0.04, 0.06]],
  ])('when the widest interval reaches %s, then the ticks are %j', (top, ticks) => {
    expect(axisTicks(top)).toEqual(ticks);
  });

  it('never takes odd steps such as 32.5 % or 47.5 %', () => {
    for (let top = 0.01; top <= 1; top += 0.005) {
      for (const tick of axisTicks(top)) {
        expect(Math.round(tick * 1000) % 10).toBe(0); // whole percentage points
      }
    }
  });
});

describe('experimentChartSvg', () => {
  it('when the prior reaches 97.5 %, then the axis reads 0 / 25 / 50 / 75 / 100 %', () => {
    const svg = experimentChartSvg({
      variants: [variant({ shown: 0, liked: 0, likeRate: 0, interval: [0.025, 0.975] })],
      best: null,
    }).toString();
    expect(tickLabels(svg)).toEqual(['0%', '25%', '50%', '75%', '100%']);
  });

  it('when rates are small, then the axis zooms in at round values', () => {
    const svg = experimentChartSvg({
      variants: [
        variant({ interval: [0.02, 0.13] }),
        variant({ name: 'howdy', interval: [0.01, 0.09] }),
      ],
      best: null,
    }).toString();
    expect(tickLabels(svg)).toEqual(['0%', '5%', '10%', '15%']);
  });

  it('when a variant was never shown, then it has its interval (the prior) but no estimate dot', () => {
    const svg = experimentChartSvg({
      variants: [
        variant({ name: 'hello' }),
        variant({ name: 'howdy', shown: 0, liked: 0, likeRate: 0, interval: [0.025, 0.975] }),
      ],
      best: null,
    }).toString();
    const rows = svg.split('<g class="row');
    expect(rows[1]).toContain('class="estimate"');
    expect(rows[2]).not.toContain('class="estimate"');
    expect(rows[2]).toContain('class="interval"');
    expect(rows[2]).toContain('no like rate yet');
  });
});

describe('chartSummary', () => {
  it('when a variant was shown or liked once, then it says "1 time", not "1 times"', () => {
    const summary = chartSummary({
      variants: [
        variant({ name: 'hello', shown: 1, liked: 1, likeRate: 1 }),
        variant({ name: 'howdy', shown: 2, liked: 0, likeRate: 0 }),
      ],
      best: null,
    });
    expect(summary).toMatch(/^hello: shown 1 time, liked 1 time, like rate 100%/);
    expect(summary).toContain('howdy: shown 2 times, liked 0 times,');
  });
});
