// The controller at fleet scale, measured as a user meets it: `kure controller` as its own process
// (node dist/src/cli/main.js controller) against the local control plane and a git http-backend
// server, with 1, 10, 50 and 100 clusters of APPS applications each (one KureCluster, one node,
// APPS/10 bundles of 10 applications: about 1,100 Kure objects per cluster), all in one fleet
// repository (clusters/<name>), the hardest layout: every push goes to one branch.
// For each size the controller starts cold (fresh process, empty Git cache) and we measure:
// - cold start: process start → every cluster Ready=True at a commit (status.lastCommit), and → every
//   member's status written (they are written in the background: kure_status_writes_pending 0);
// - change → pushed commit, once the statuses are in (steady state): one application of a random
//   cluster changed (the apply returns) until the branch moves; CHANGES changes, p50 / p99;
// - the process's peak RSS (VmHWM) and its idle CPU (user + system from /proc/<pid>/stat, over IDLE_MS,
//   IDLE_SETTLE_MS after the last change's statuses are written).
// Sizes: $KURE_BENCH_FLEET_SIZES (default 1,10,50,100); applications per cluster: $KURE_BENCH_FLEET_APPS (default 1000);
// $KURE_BENCH_FLEET_RESYNC sets the controller's --resync-period (default 10m) to measure changes during resyncs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KUBECONFIG_ENV, startControlPlane, type ControlPlane } from '../test/support/control-plane.js';
import { startGitServer } from '../test/support/git-server.js';
import { kubeRequest, loadTestKubeConfig } from '../test/support/kube.js';
import { installCrds } from '../test/integration/controller/harness.js';
import { branchHead, percentile } from './process.js';

const API = 'kure.dev/v1alpha1';
const SIZES = (process.env.KURE_BENCH_FLEET_SIZES ?? '1,10,50,100').split(',').map(Number);
const APPS = Number(process.env.KURE_BENCH_FLEET_APPS ?? 1000);
const PER_BUNDLE = 10;
const CHANGES = 20;
const IDLE_MS = 15_000;
const IDLE_SETTLE_MS = 15_000;
const NS = 'fleet';
const PLURAL: Record<string, string> = { KureCluster: 'kureclusters', KureNode: 'kurenodes', KureBundle: 'kurebundles', KureApplication: 'kureapplications' };

const obj = (kind: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: API, kind, metadata: { name, namespace: NS }, spec });
const appSpec = (bundle: string, name: string, v: string) => ({ bundleRef: { name: bundle }, manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } }] });


const clusterName = (c: number) => `c${String(c).padStart(3, '0')}`;
const bundleName = (c: number, b: number) => `${clusterName(c)}-b${String(b).padStart(3, '0')}`;
const appName = (c: number, a: number) => `${clusterName(c)}-a${String(a).padStart(4, '0')}`;

/** Creates the objects with `parallel` POSTs in flight (create, not apply: the fastest way in). */
async function createAll(objs: ReturnType<typeof obj>[], parallel = 48): Promise<void> {
  const kc = loadTestKubeConfig();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < objs.length) {
        const o = objs[next++]!;
        await kubeRequest('POST', `/apis/${API}/namespaces/${NS}/${PLURAL[o.kind]}`, o, { kc });
      }
    }),
  );
}

function clusterObjects(c: number, repoUrl: string) {
  const name = clusterName(c);
  const out = [
    obj('KureCluster', name, { gitops: { engine: 'flux' }, repository: { url: repoUrl, path: `clusters/${name}`, secretRef: { name: 'git-auth' } } }),
    obj('KureNode', `${name}-apps`, { clusterRef: { name } }),
  ];
  for (let b = 0; b < APPS / PER_BUNDLE; b++) out.push(obj('KureBundle', bundleName(c, b), { nodeRef: { name: `${name}-apps` } }));
  for (let a = 0; a < APPS; a++) out.push(obj('KureApplication', appName(c, a), appSpec(bundleName(c, Math.floor(a / PER_BUNDLE)), appName(c, a), '0')));
  return out;
}

interface ProcStats {
  peakRssMb: number;
  cpuMs: number;
}
function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  // utime and stime: fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { peakRssMb: hwm / 1024, cpuMs: ticks * 10 };
}

type ClusterList = { items: { metadata: { name: string; generation?: number }; status?: { conditions?: { type: string; status: string; observedGeneration?: number }[]; lastCommit?: unknown } }[] };

/** Every cluster Ready=True for its current generation (so: committed to the repository it names now). */
async function allReady(n: number): Promise<boolean> {
  const list = (await kubeRequest<ClusterList>('GET', `/apis/${API}/namespaces/${NS}/kureclusters`)).body;
  const ready = list.items.filter((c) => c.status?.lastCommit && c.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True' && x.observedGeneration === c.metadata.generation));
  return ready.length >= n;
}

/** A free loopback port for the controller's metrics. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** The sum of a metric's series on the controller's /metrics. */
async function metric(port: number, name: string): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const m of body.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/**
 * The pod's memory limit, as the chart sets it (resources.limits.memory): a memory cgroup of its
 * own for the controller, when this process may make one (root, cgroup v1 or v2). It matters for
 * more than the kill: Node sizes its V8 heap from the cgroup's limit (about 57% of it), so inside
 * the limit the heap is collected sooner and the RSS is what a pod shows; outside one, V8 sizes
 * the heap from the machine (4.5 GB here) and lets garbage pile up. $KURE_BENCH_FLEET_MEMORY in MiB
 * (default 1536, the target); 0 runs it unconfined.
 */
const MEMORY_MIB = Number(process.env.KURE_BENCH_FLEET_MEMORY ?? 1536);

function memoryCgroup(): { procs: string; remove: () => void } | undefined {
  if (!MEMORY_MIB) return undefined;
  const bytes = String(MEMORY_MIB * 1024 * 1024);
  const name = `kure-bench-${process.pid}`;
  for (const [dir, limit] of [
    [`/sys/fs/cgroup/memory/${name}`, 'memory.limit_in_bytes'], // v1
    [`/sys/fs/cgroup/${name}`, 'memory.max'], // v2
  ] as const) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, limit), bytes);
      return {
        procs: path.join(dir, 'cgroup.procs'),
        remove: () => rmdirSync(dir),
      };
    } catch {
      try {
        rmdirSync(dir);
      } catch {
        /* not made */
      }
    }
  }
  return undefined;
}

function startController(main: string, kubeconfig: string, cacheDir: string, port: number, cgroupProcs?: string): ChildProcess {
  const args = [main, 'controller', '--kubeconfig', kubeconfig, '--namespaces', NS, '--no-leader-elect', '--metrics-addr', `127.0.0.1:${port}`, '--git-cache-dir', cacheDir, '--log-level', process.env.KURE_BENCH_FLEET_LOG ?? 'warn'];
  // A short resync period measures changes made while the whole fleet is being re-queued.
  if (process.env.KURE_BENCH_FLEET_RESYNC) args.push('--resync-period', process.env.KURE_BENCH_FLEET_RESYNC);
  // In a cgroup: a shell joins it and execs node, so the controller starts inside (its pid is the shell's).
  const [cmd, argv] = cgroupProcs
    ? ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', cgroupProcs, process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(cmd, argv, {
    stdio: ['ignore', process.env.KURE_BENCH_FLEET_LOG ? 'inherit' : 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`controller: ${d.toString()}`));
  return child;
}

export async function benchFleetScale(): Promise<Record<string, number>> {
  let cp: ControlPlane | undefined;
  if (!process.env[KUBECONFIG_ENV]) {
    cp = await startControlPlane();
    process.env[KUBECONFIG_ENV] = cp.kubeconfigPath;
  }
  const main = path.resolve('dist/src/cli/main.js');
  const git = await startGitServer({ username: 'kure', password: 'bench-password' });
  const out: Record<string, number> = {};
  let controller: ChildProcess | undefined;
  try {
    await installCrds();
    await kubeRequest('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }).catch(() => undefined);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await kubeRequest('POST', `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'git-auth', namespace: NS, labels: { 'kure.dev/credentials': 'true' } },
      data: { username: b64('kure'), password: b64('bench-password') },
    });
    let gitdir = '';
    const head = () => branchHead(gitdir);
    const kubeconfig = process.env[KUBECONFIG_ENV]!;
    let created = 0;
    for (const size of SIZES) {
      const t0 = performance.now();
      // A new, empty repository per size: the cold start commits every cluster's whole tree.
      const repo = `fleet-${size}`;
      gitdir = git.createRepo(repo);
      for (let c = 0; c < created; c++)
        await kubeRequest('PATCH', `/apis/${API}/namespaces/${NS}/kureclusters/${clusterName(c)}`, { spec: { repository: { url: git.url(repo) } } }, { contentType: 'application/merge-patch+json' });
      for (; created < size; created++) await createAll(clusterObjects(created, git.url(repo)));
      const createS = (performance.now() - t0) / 1000;
      console.error(`fleet-scale: ${size} cluster(s) x ${APPS} applications in the API server (${createS.toFixed(0)} s to create)`);

      // ---- cold start
      const cacheDir = mkdtempSync(path.join(tmpdir(), 'kure-bench-fleet-'));
      const started = performance.now();
      const port = await freePort();
      const cgroup = memoryCgroup();
      controller = startController(main, kubeconfig, cacheDir, port, cgroup?.procs);
      const pid = controller.pid!;
      const child = controller;
      /** An OOM kill (or any exit) ends the run with what happened, not a 15-minute timeout. */
      const alive = () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`fleet-scale: the controller exited (${child.signalCode ?? child.exitCode}) at ${size} clusters${cgroup ? ` under its ${MEMORY_MIB} MiB limit` : ''}`);
        return true;
      };
      // 110,000 first statuses take the API server here about 14 minutes (written in the background).
      const deadline = Date.now() + 30 * 60_000;
      while (alive() && !(await allReady(size))) {
        if (Date.now() > deadline) throw new Error(`not all ${size} clusters Ready within 30 min`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const coldS = (performance.now() - started) / 1000;
      console.error(`fleet-scale: ${size}: cold start to every cluster committed ${coldS.toFixed(1)} s; waiting for the members' statuses`);
      /** Waits until the queue is empty and every member's status is written (they are written in the background). */
      const drained = async (what: string) => {
        while (alive() && ((await metric(port, 'kure_status_writes_pending')) > 0 || (await metric(port, 'kure_workqueue_depth')) > 0)) {
          if (Date.now() > deadline) throw new Error(`fleet-scale: ${what} at ${size} clusters not done within 30 min`);
          await new Promise((r) => setTimeout(r, 500));
        }
      };
      // Changes are measured once every status is in (steady state).
      await drained("the members' statuses");
      const statusesS = (performance.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 2000));

      // ---- one-application changes
      const latencies: number[] = [];
      for (let i = 1; i <= CHANGES; i++) {
        const c = Math.floor(Math.random() * size);
        const a = Math.floor(Math.random() * APPS);
        const before = head();
        const name = appName(c, a);
        await kubeRequest('PATCH', `/apis/${API}/namespaces/${NS}/kureapplications/${name}`, { spec: appSpec(bundleName(c, Math.floor(a / PER_BUNDLE)), name, `${size}-${i}`) }, { contentType: 'application/merge-patch+json' });
        const tc = performance.now();
        const until = Date.now() + 60_000;
        while (head() === before && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
        if (head() === before) throw new Error(`fleet-scale: change ${i} at ${size} clusters was not committed within 60 s`);
        latencies.push((performance.now() - tc) / 1000);
        await new Promise((r) => setTimeout(r, 300));
      }
      latencies.sort((x, y) => x - y);

      // ---- idle: once the last change's statuses are written, with nothing polling the controller,
      // and after the HTTP connections those writes opened have closed (they idle out within ~10 s;
      // closing them is most of the CPU of the first seconds after the writes, profiled).
      await drained("the last change's statuses");
      await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
      const before = procStats(pid);
      await new Promise((r) => setTimeout(r, IDLE_MS));
      const after = procStats(pid);
      const k = `fleet.c${size}`;
      out[`${k}_objects`] = size * (APPS + APPS / PER_BUNDLE + 2);
      out[`${k}_cold_start_s`] = coldS;
      out[`${k}_statuses_written_s`] = statusesS;
      out[`${k}_change_to_commit_p50_s`] = percentile(latencies, 50);
      out[`${k}_change_to_commit_p99_s`] = percentile(latencies, 99);
      out[`${k}_peak_rss_mb`] = after.peakRssMb;
      if (cgroup) out[`${k}_memory_limit_mb`] = MEMORY_MIB;
      out[`${k}_idle_cpu_ms_per_s`] = (after.cpuMs - before.cpuMs) / (IDLE_MS / 1000);
      console.error(`fleet-scale: ${JSON.stringify(Object.fromEntries(Object.entries(out).filter(([x]) => x.startsWith(`${k}_`))))}`);
      controller.kill('SIGTERM');
      await new Promise((r) => controller!.once('exit', r));
      controller = undefined;
      rmSync(cacheDir, { recursive: true, force: true });
      cgroup?.remove();
    }
    writeFileSync(path.join(tmpdir(), 'kure-bench-fleet.json'), JSON.stringify(out, null, 2));
    return out;
  } finally {
    controller?.kill('SIGKILL');
    await git.stop();
    if (cp) {
      await cp.stop();
      delete process.env[KUBECONFIG_ENV];
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchFleetScale().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
