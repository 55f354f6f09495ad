import { FLAGS, UsageError, helpText, parseListenAddress, parseOptions } from '../../../src/controller/options.js';
import { parseDuration } from '../../../src/model/durations.js';

const sources = (env: Record<string, string> = {}, nsFile?: string) => ({ env, readNamespaceFile: () => nsFile, randomSuffix: () => 'abc' });
const opts = (argv: string[], env: Record<string, string> = {}, nsFile?: string) => {
  const r = parseOptions(argv, sources(env, nsFile));
  if (r.help) throw new Error('help');
  return r.options;
};

describe('parseOptions', () => {
  it('has the documented defaults', () => {
    const o = opts([]);
    expect(o).toMatchObject({
      namespaces: [],
      metricsAddr: ':8080',
      leaderElect: true,
      leaderElectionNamespace: 'default',
      leaderElectionId: 'kure-controller-leader',
      logLevel: 'info',
      resyncPeriodMs: 600_000,
      settleMs: 500,
      concurrency: 4,
      watchTimeoutSeconds: 300,
    });
    expect(o.credentialsNamespaces).toEqual([]);
    expect(o.kubeconfig).toBeUndefined();
    expect(o.gitCacheDir).toMatch(/kure-git-cache$/);
    expect(o.identity).toMatch(/-abc$/);
  });

  it('takes the lease namespace from POD_NAMESPACE, else the service-account file, else default', () => {
    expect(opts([], { POD_NAMESPACE: 'kure-system' }, 'sa-ns').leaderElectionNamespace).toBe('kure-system');
    expect(opts([], {}, 'sa-ns').leaderElectionNamespace).toBe('sa-ns');
    expect(opts([]).leaderElectionNamespace).toBe('default');
  });

  it('reads env vars and lets flags win', () => {
    const env = { KUBECONFIG: '/env/kc', KURE_NAMESPACES: 'a, b', KURE_SETTLE: '2s', KURE_LEADER_ELECT: 'false', KURE_LOG_LEVEL: 'debug' };
    expect(opts([], env)).toMatchObject({ kubeconfig: '/env/kc', namespaces: ['a', 'b'], settleMs: 2000, leaderElect: false, logLevel: 'debug' });
    expect(opts(['--kubeconfig', '/flag/kc', '--settle=100ms', '--leader-elect'], env)).toMatchObject({ kubeconfig: '/flag/kc', settleMs: 100, leaderElect: true });
  });

  it('parses every flag form', () => {
    const o = opts([
      '--namespaces=a,b', '--namespaces', 'c', '--metrics-addr', '127.0.0.1:0', '--no-leader-elect',
      '--leader-election-namespace', 'x', '--log-level=warn', '--git-cache-dir', '/tmp/g', '--resync-period', '1h30m',
      '--concurrency', '8', '--watch-timeout', '90s', '--max-settle', '3s',
    ]);
    expect(o).toMatchObject({
      namespaces: ['a', 'b', 'c'], metricsAddr: '127.0.0.1:0', leaderElect: false, leaderElectionNamespace: 'x', logLevel: 'warn',
      gitCacheDir: '/tmp/g', resyncPeriodMs: 5_400_000, concurrency: 8, watchTimeoutSeconds: 90, maxSettleMs: 3000,
    });
    expect(opts(['--leader-elect=false']).leaderElect).toBe(false);
  });

  it('rejects bad input with a UsageError that names the flag', () => {
    const bad = (argv: string[], env: Record<string, string> = {}) => () => parseOptions(argv, sources(env));
    expect(bad(['--nope'])).toThrow(UsageError);
    expect(bad(['--nope'])).toThrow(/unknown flag --nope/);
    expect(bad(['--settle', 'soon'])).toThrow(/--settle: invalid duration/);
    expect(bad(['--concurrency', '0'])).toThrow(/--concurrency/);
    expect(bad(['--kubeconfig'])).toThrow(/needs a value/);
    expect(bad(['--log-level', 'loud'])).toThrow(/--log-level/);
    expect(bad(['--metrics-addr', 'eight'])).toThrow(/--metrics-addr/);
    expect(bad(['stray'])).toThrow(/unexpected argument/);
    expect(bad([], { KURE_CONCURRENCY: 'x' })).toThrow(/\$KURE_CONCURRENCY/);
  });

  it('recognises --help', () => {
    expect(parseOptions(['--settle', '1s', '--help'], sources())).toEqual({ help: true });
    expect(parseOptions(['-h'], sources())).toEqual({ help: true });
  });

  it('takes --credentials-namespaces (or $KURE_CREDENTIALS_NAMESPACES), only among the watched namespaces', () => {
    expect(opts(['--namespaces=platform,team-a', '--credentials-namespaces=platform']).credentialsNamespaces).toEqual(['platform']);
    expect(opts([], { KURE_CREDENTIALS_NAMESPACES: 'platform, ops' }).credentialsNamespaces).toEqual(['platform', 'ops']);
    expect(() => opts(['--namespaces=platform,team-a', '--credentials-namespaces=platform,ops'])).toThrow(
      new UsageError('--credentials-namespaces: ops not in --namespaces (platform, team-a): Kure would see no KureCluster there'),
    );
  });

  it('documents every flag and env var in --help', () => {
    const text = helpText();
    for (const f of FLAGS) {
      expect(text).toContain(`--${f.flag}`);
      for (const e of f.env ?? []) expect(text).toContain(`$${e}`);
    }
  });
});

describe('parseDuration / parseListenAddress', () => {
  it('parses Go durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('5 m')).toBeUndefined();
  });
  it('parses listen addresses', () => {
    expect(parseListenAddress(':8080')).toEqual({ port: 8080 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
  });
});

describe('--log-format and --shard-selector', () => {
  it('--log-format: json by default, text on request (flag or $KURE_LOG_FORMAT), anything else a usage error', () => {
    expect(opts([]).logFormat).toBe('json');
    expect(opts(['--log-format', 'text']).logFormat).toBe('text');
    expect(opts(['--log-format=json'], { KURE_LOG_FORMAT: 'text' }).logFormat).toBe('json');
    expect(opts([], { KURE_LOG_FORMAT: 'text' }).logFormat).toBe('text');
    expect(() => opts(['--log-format', 'pretty'])).toThrow(new UsageError('--log-format: must be one of json, text, got "pretty"'));
    expect(() => opts([], { KURE_LOG_FORMAT: 'yaml' })).toThrow(/^\$KURE_LOG_FORMAT: must be one of json, text/);
  });

  it('--shard-selector: unset by default; equality- and set-based selectors are kept as given', () => {
    expect(opts([]).shardSelector).toBeUndefined();
    for (const s of ['shard=a', 'shard==a', 'shard!=a', 'shard in (a,b)', 'shard notin (c), !canary', 'kure.dev/shard=a,tier', 'region in (eu-west-1, eu-central-1),env!=dev']) {
      expect(opts(['--shard-selector', s]).shardSelector).toBe(s);
    }
    expect(opts([], { KURE_SHARD_SELECTOR: 'shard=b' }).shardSelector).toBe('shard=b');
  });

  it('--shard-selector: a selector that does not parse is a usage error saying where and why', () => {
    const bad: [string, RegExp][] = [
      ['shard in a,b', /--shard-selector: invalid label selector "shard in a,b": at character 10: expected "\(" after "in", found "a"/],
      ['shard=a b', /at character 9: expected "," between requirements, found "b"/],
      ['shard in (a', /expected "," or "\)" in the "in" list, found the end/],
      ['Shard/x=a', /invalid label key "Shard\/x=?.*prefix "Shard" must be a DNS subdomain|invalid label key "Shard\/x"/],
      ['shard=a,', /expected a requirement after ","/],
      ['-shard=a', /invalid label key "-shard"/],
      ['shard=' + 'x'.repeat(64), /must be at most 63 characters/],
      ['shard>a', /expected an integer after ">"/],
      ['shard prod', /expected an operator \(=, ==, !=, in, notin, >, <\) or "," after "shard", found "prod"/],
    ];
    for (const [s, re] of bad) {
      let err: unknown;
      try {
        opts(['--shard-selector', s]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(re);
    }
    expect(() => opts(['--shard-selector', ''])).toThrow(/--shard-selector: must not be empty/);
  });

  it('--help shows both', () => {
    const text = helpText();
    expect(text).toContain('--log-format json|text');
    expect(text).toContain('--shard-selector SELECTOR');
    expect(text).toContain('$KURE_SHARD_SELECTOR');
  });
});
