// A fatal start-up error of the real `kure controller` process (the compiled CLI): the metrics port is
// taken. The process logs it once and exits 1 at once, instead of staying up with its informers running
// and ignoring SIGTERM.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { testKubeconfigPath } from '../../support/kube.js';
import { buildCli, installCrds, newNamespace, removeCliBuild, spawnController, type ControllerProcess } from './harness.js';

let main: string;
let taken: Server;
let port: number;
const procs: ControllerProcess[] = [];

beforeAll(async () => {
  [main] = await Promise.all([buildCli(), installCrds()]);
  taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  port = (taken.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await new Promise((r) => taken?.close(r));
  await removeCliBuild();
});

/** The exit code, or 'still running' after `ms` (then SIGTERM, and what that did, for the message). */
async function exitWithin(p: ControllerProcess, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((r) => (timer = setTimeout(() => r('still running'), ms)));
  const first = await Promise.race([p.exited, late]);
  clearTimeout(timer);
  if (first !== 'still running') return first;
  p.kill('SIGTERM');
  const afterTerm = await Promise.race([p.exited, new Promise<string>((r) => setTimeout(() => r('ignored SIGTERM'), 2000))]);
  return `still running after ${ms} ms (then SIGTERM: ${String(afterTerm)})`;
}

describe('kure controller: fatal start-up error', () => {
  it.each([
    ['json', ['--no-leader-elect']],
    ['text', ['--no-leader-elect', '--log-format', 'text']],
    ['json, with leader election', ['--leader-elect', '--leader-election-namespace', 'default', '--leader-election-id', `kure-startup-${Math.random().toString(36).slice(2, 8)}`]],
  ])('metrics port in use (%s): one log line, exit 1 within 5 s', async (format, extra) => {
    const ns = await newNamespace('st');
    const started = Date.now();
    const p = spawnController(main, `startup-${format}`, ['--kubeconfig', testKubeconfigPath(), '--namespaces', ns, '--metrics-addr', `127.0.0.1:${port}`, ...extra]);
    procs.push(p);
    const code = await exitWithin(p, 5000);
    const lines = p.logs().split('\n').filter(Boolean);
    expect({ code, lines }).toMatchObject({ code: 1 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toContain('could not start');
    expect(line).toContain('EADDRINUSE');
    expect(line).toContain(String(port));
    expect(line).not.toContain('    at '); // an expected error: no stack trace
    if (format === 'text') expect(line).toMatch(/^\S+Z FATAL kure controller could not start err=/);
    else expect(JSON.parse(line)).toMatchObject({ level: 'fatal', msg: 'kure controller could not start', err: { code: 'EADDRINUSE' } });
  });
});
