import { runController } from '../../../src/cli/controller.js';
import { FLAGS } from '../../../src/controller/options.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), stopSignal: Promise.resolve('test') } };
}

describe('kure controller CLI', () => {
  it('--help documents every flag and env var and exits 0', async () => {
    const t = io();
    expect(await runController(['--help'], t.io)).toBe(0);
    const text = t.out.join('');
    expect(text).toMatch(/^Usage: kure controller/);
    for (const f of FLAGS) expect(text).toContain(`--${f.flag}`);
    expect(text).toContain('$KUBECONFIG');
    expect(text).toContain('$POD_NAMESPACE');
  });

  it('usage errors exit 2 with a message', async () => {
    const t = io();
    expect(await runController(['--settle', 'later'], t.io)).toBe(2);
    expect(t.err.join('')).toMatch(/kure controller: --settle: invalid duration/);
  });

  it('exits 1 when it cannot start (unreadable kubeconfig), logging it once, as one fatal record', async () => {
    const t = io();
    const records: string[] = [];
    const exits: number[] = [];
    const code = await runController(['--kubeconfig', '/nonexistent/kubeconfig', '--metrics-addr', '0'], { ...t.io, log: { write: (s: string) => void records.push(s) }, exit: (c) => void exits.push(c) });
    expect(code).toBe(1);
    expect(exits).toEqual([1]);
    expect(records).toHaveLength(1);
    expect(JSON.parse(records[0]!)).toMatchObject({ level: 'fatal', msg: 'kure controller could not start', err: { code: 'ENOENT' } });
    expect(records[0]).not.toContain('"stack"');
    expect(t.err).toEqual([]);
  });
});
