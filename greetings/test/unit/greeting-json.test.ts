import { phaseView } from '../../src/experiment/view';
import { DEFAULT_STOPPING_RULE } from '../../src/experiment/statistics';
import type { Greeting } from '../../src/greeter';
import { greetingJson } from '../../src/routes/greeting';

const view = (shown: number) =>
  phaseView(
    {
      phase: 3,
      state: 'running',
      policy: 'epsilon-greedy',
      epsilon: 0.1,
      shipped: null,
      startedAt: '2026-12-04T00:00:00.000Z',
      endedAt: null,
      variants: [
        { name: 'hello', template: 'Hello {name}' },
        { name: 'howdy', template: 'Howdy "{name}"' },
      ],
      counts: [
        { shown, liked: 1 },
        { shown: 7, liked: 2 },
      ],
    },
    DEFAULT_STOPPING_RULE,
  );

const greeting = (experiment: Greeting['experiment'], name = 'Bob'): Greeting => ({
  greeting: `Howdy "${name}" \u2028</script>`,
  variant: 'howdy',
  strategy: 'exploit',
  impression: 'AAAAAAAAAAAAAAAAAAAAAA',
  ...(experiment ? { experiment } : {}),
});

describe('greetingJson', () => {
  it('when many greetings share one snapshot, then each is exactly JSON.stringify of that greeting', () => {
    const snapshot = view(5);
    for (let i = 0; i < 100; i++) {
      const g = { ...greeting(snapshot, `Bob ${i}`), impression: `id${i}` };
      expect(greetingJson(g)).toBe(JSON.stringify(g));
    }
  });

  it('when the snapshot is worked out again, then the new numbers are written, not the old', () => {
    expect(greetingJson(greeting(view(5)))).toBe(JSON.stringify(greeting(view(5))));
    const later = greeting(view(6));
    expect(greetingJson(later)).toBe(JSON.stringify(later));
    expect(JSON.parse(greetingJson(later))).toMatchObject({
      experiment: { variants: [{ shown: 6 }, { shown: 7 }] },
    });
  });

  it('when there is no experiment (the fallback), then it is the plain JSON', () => {
    const fallback: Greeting = { ...greeting(undefined), strategy: 'fallback', impression: null };
    expect(greetingJson(fallback)).toBe(JSON.stringify(fallback));
  });
});
