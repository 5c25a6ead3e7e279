import { clientKey, trustProxyEnv } from '../../src/http/client-address';
import { formEpsilon, formVariants } from '../../src/http/form-fields';
import { parseActor, parseStartRequest } from '../../src/experiment/phase';
import { invisibleCharacterProblem } from '../../src/experiment/text-rules';
import { variantsProblems } from '../../src/experiment/variants';

const REFUSED = [
  ...['\u202a', '\u202b', '\u202c', '\u202d', '\u202e'],
  ...['\u2066', '\u2067', '\u2068', '\u2069'],
  ...['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'],
  ...['\u2028', '\u2029'],
  '\ud800',
  '\udfff',
];

describe('text rules', () => {
  it.each(REFUSED.map((c) => [c.charCodeAt(0).toString(16), c]))(
    'when a text holds U+%s, then it is refused, naming why',
    (_code, c) => {
      expect(invisibleCharacterProblem(`Hi ${c}{name}`)).toMatch(/invisible|lone surrogate/);
      expect(
        variantsProblems([
          { name: 'a', template: `${c}{name}` },
          { name: 'b', template: 'Hi {name}' },
        ]),
      ).toHaveLength(1);
      expect(() => parseActor(`Ada${c}`)).toThrow(/actor: must/);
    },
  );

  it('when a text is ordinary (accents, emoji, other scripts), then it is fine', () => {
    for (const text of ['Grüß dich, {name}', '👋 {name}', 'こんにちは {name}', 'שלום {name}'])
      expect(invisibleCharacterProblem(text)).toBeNull();
  });

  it('when "\\u200b\\u200b{name}" is a template, then it is refused, not stripped', () => {
    expect(
      variantsProblems([
        { name: 'ghost', template: '\u200b\u200b{name}' },
        { name: 'b', template: 'Hi {name}' },
      ]),
    ).toEqual([expect.stringMatching(/^variants\[0\]\.template: .*U\+200B at position 0/)]);
  });

  it('when a variant has a field besides name and template, then it is refused', () => {
    expect(
      variantsProblems([
        { name: 'a', template: 'A {name}', weight: 5 },
        { name: 'b', template: 'B {name}' },
      ]),
    ).toEqual(['variants[0]: unknown field "weight" (expected name and template)']);
  });

  it('when epsilon is a text in JSON, then it is refused; the form’s field is read as a number', () => {
    const variants = [
      { name: 'a', template: 'A {name}' },
      { name: 'b', template: 'B {name}' },
    ];
    expect(() => parseStartRequest({ variants, epsilon: '0.2' }, 0.1)).toThrow(/epsilon/);
    expect(parseStartRequest({ variants, epsilon: formEpsilon(' 0.2 ') }, 0.1).epsilon).toBe(0.2);
    expect(() => parseStartRequest({ variants, epsilon: formEpsilon('lots') }, 0.1)).toThrow(
      /epsilon: expected a number from 0 to 1 \(got "lots"\)/,
    );
    expect(formEpsilon('')).toBeUndefined();
  });

  it('when the form sends 9 variant rows, then all 9 are read (and the rule refuses them)', () => {
    const form: Record<string, string> = {};
    for (let i = 1; i <= 9; i++)
      Object.assign(form, { [`name${i}`]: `v${i}`, [`template${i}`]: `${i} {name}` });
    const variants = formVariants(form);
    expect(variants.map((v) => v.name)).toEqual([
      'v1',
      'v2',
      'v3',
      'v4',
      'v5',
      'v6',
      'v7',
      'v8',
      'v9',
    ]);
    expect(variantsProblems(variants)).toEqual(['variants: expected 2 to 8 variants (got 9)']);
  });
});

describe('client address', () => {
  it('groups IPv6 by /64, reads IPv4-mapped addresses as IPv4', () => {
    expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2::9')).toBe(clientKey('2001:db8:1:2:ffff::1'));
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
    expect(clientKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
  });

  it('drops a port and brackets; what is not an address is no client key at all', () => {
    expect(clientKey('10.2.2.2:10001')).toBe('10.2.2.2');
    expect(clientKey('[2001:db8:1:2::9]:443')).toBe('2001:db8:1:2::/64');
    expect(clientKey('[2001:db8:1:2::9]')).toBe('2001:db8:1:2::/64');
    expect(clientKey('[::ffff:10.2.2.2]:80')).toBe('10.2.2.2');
    expect(clientKey(' 10.2.2.2 ')).toBe('10.2.2.2');
    for (const junk of [
      'for=10.2.2.2',
      '10.2.2.2:x',
      '0x7f.1',
      '127.1',
      'unknown',
      '',
      '[10.2.2.2]:80x',
    ])
      expect(clientKey(junk)).toBeUndefined();
  });

  it('TRUST_PROXY: unset, hops, or addresses and ranges; never "true" or nonsense', () => {
    expect(trustProxyEnv.parse(undefined)).toBeUndefined();
    expect(trustProxyEnv.parse('')).toBeUndefined();
    expect(trustProxyEnv.parse('1')).toBe(1);
    expect(trustProxyEnv.parse('loopback, 10.0.0.0/8,fd00::/8')).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    for (const bad of ['true', 'everyone', '10.0.0.0/99', '300.1.1.1'])
      expect(trustProxyEnv.safeParse(bad).success).toBe(false);
  });
});
