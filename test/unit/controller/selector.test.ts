import { matchesSelector, parseSelector, SelectorError } from '../../../src/controller/selector.js';

describe('parseSelector', () => {
  it('reads equality-based, set-based, existence and numeric requirements', () => {
    expect(parseSelector('')).toEqual([]);
    expect(parseSelector('  ')).toEqual([]);
    expect(parseSelector('env=prod,tier==web, app != db')).toEqual([
      { key: 'env', operator: 'In', values: ['prod'] },
      { key: 'tier', operator: 'In', values: ['web'] },
      { key: 'app', operator: 'NotIn', values: ['db'] },
    ]);
    expect(parseSelector('kure.dev/shard in (a, b,a), zone notin (x),canary,!legacy')).toEqual([
      { key: 'kure.dev/shard', operator: 'In', values: ['a', 'b'] },
      { key: 'zone', operator: 'NotIn', values: ['x'] },
      { key: 'canary', operator: 'Exists', values: [] },
      { key: 'legacy', operator: 'DoesNotExist', values: [] },
    ]);
    expect(parseSelector('replicas>2,replicas<10')).toEqual([
      { key: 'replicas', operator: 'Gt', values: ['2'] },
      { key: 'replicas', operator: 'Lt', values: ['10'] },
    ]);
    expect(parseSelector('env=')).toEqual([{ key: 'env', operator: 'In', values: [''] }]);
    expect(parseSelector('env in ()')).toEqual([{ key: 'env', operator: 'In', values: [''] }]);
  });

  it('rejects what kubectl rejects, naming the position', () => {
    for (const [s, re] of [
      ['env=prod,,tier', /at character 10: expected a label key, found ","/],
      ['env in (a b)', /at character 11: expected "," or "\)" in the "in" list, found "b"/],
      ['env=(a)', /expected a value after "=", found "\("/],
      ['a/b/c=1', /invalid label key "a\/b\/c"/],
      ['UPPER.example/x=1', /prefix "UPPER.example" must be a DNS subdomain/],
      ['x=' + 'v'.repeat(64), /at most 63/],
      ['env=prod_', /the value "prod_" must consist of/],
      ['env=a=b', /expected "," between requirements, found "="/],
      ['!', /expected a label key, found the end/],
      ['env notin', /expected "\(" after "notin", found the end/],
    ] as const) {
      expect(() => parseSelector(s)).toThrow(SelectorError);
      expect(() => parseSelector(s)).toThrow(re);
    }
  });
});

describe('matchesSelector', () => {
  const labels = { shard: 'a', env: 'prod', 'kure.dev/tier': 'gold', replicas: '3' };
  it.each([
    ['shard=a', true],
    ['shard==b', false],
    ['shard!=b', true],
    ['shard!=a', false],
    ['missing!=a', true], // != and notin select objects without the label, as in Kubernetes
    ['shard in (a,b)', true],
    ['shard in (b,c)', false],
    ['missing in (a)', false],
    ['shard notin (b)', true],
    ['shard notin (a)', false],
    ['missing notin (a)', true],
    ['env', true],
    ['missing', false],
    ['!missing', true],
    ['!env', false],
    ['kure.dev/tier=gold,shard=a', true],
    ['kure.dev/tier=gold,shard=b', false],
    ['replicas>2', true],
    ['replicas>3', false],
    ['replicas<4', true],
    ['env>1', false], // not an integer
    ['', true],
  ])('%s → %s', (selector, expected) => {
    expect(matchesSelector(labels, selector)).toBe(expected);
  });

  it('objects without labels: only absence-based requirements hold', () => {
    expect(matchesSelector(undefined, '!shard')).toBe(true);
    expect(matchesSelector(undefined, 'shard notin (a)')).toBe(true);
    expect(matchesSelector({}, 'shard=a')).toBe(false);
    expect(matchesSelector({ shard: '' }, 'shard=')).toBe(true);
  });

  it('takes a parsed selector, and throws SelectorError for a string that does not parse', () => {
    const parsed = parseSelector('shard in (a,b)');
    expect(matchesSelector({ shard: 'b' }, parsed)).toBe(true);
    expect(() => matchesSelector({}, 'shard in')).toThrow(SelectorError);
    expect(matchesSelector({ toString: 'x' } as Record<string, string>, 'toString=x')).toBe(true);
    expect(matchesSelector({}, 'toString')).toBe(false); // own labels only, not Object.prototype
  });
});
