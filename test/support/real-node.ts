// A real single-node Kubernetes cluster on this machine, for the tests that need Pods to actually run
// (the chart installed with `helm install` and rolled out): kube-control-plane (etcd + kube-apiserver)
// plus kubelet, kube-controller-manager, kube-scheduler and kube-proxy from kube-node (both built from
// test/control-plane/go.mod, one Kubernetes version), Debian's containerd and runc, Debian's CNI plugins
// (bridge + host-local + portmap), a pause image built from the Kubernetes source (scripts/build-node.sh).
//
// Needs root on Linux (the kubelet manages cgroups, mounts and network namespaces). Everything it creates
// carries a fixed name, so stop() — and, after a crash, the next start — removes exactly that: processes
// (by pid, and containerd shims by their socket path), mounts under NODE_DIR, the cgroup CGROUP_ROOT in
// every hierarchy, the bridge, kube-proxy's nftables tables, the CNI plugin's and kubelet's iptables
// chains, kubelet's /var/log/containers links. Only one real node can run at a time (fixed ports
// 10248/10250, the cgroup root): a second start fails while the first one's lock is held.
//
// Imports only Node built-ins (and ./control-plane.ts by URL), so scripts/real-node.ts can load it with
// Node's type stripping.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { fileURLToPath } from 'node:url';

import type * as ControlPlaneModule from './control-plane.js';
import type { ControlPlane } from './control-plane.js';

/** The repository root: the nearest directory above this file with a package.json. */
const REPO_ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && dir !== path.dirname(dir)) dir = path.dirname(dir);
  return dir;
})();
export const NODE_NAME = 'kure-node';
/** Everything of a running node: control plane data, containerd root and state, kubelet root, configs. */
export const NODE_DIR = path.join(tmpdir(), 'kure-node');
export const NODE_CACHE = path.join(REPO_ROOT, '.cache', 'node');
export const KUBE_NODE = path.join(NODE_CACHE, 'kube-node');
const BUILD_SCRIPT = path.join(REPO_ROOT, 'scripts', 'build-node.sh');
const LOG_DIR = path.join(NODE_CACHE, 'logs');
const CGROUP_ROOT = 'kure-node';
const BRIDGE = 'kure-node0';
const CNI_NETWORK = 'kure-node';
const POD_CIDR = '10.244.0.0/24';
const CNI_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];
const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'];
const CONTAINERD_SOCK = path.join(NODE_DIR, 'containerd.sock');

export interface RealNode {
  /** Admin kubeconfig of the cluster. */
  kubeconfigPath: string;
  /** The API server as the host sees it (https://127.0.0.1:<port>). */
  server: string;
  /** The address Pods reach this host on (the node's InternalIP): serve test servers on it. */
  hostIP: string;
  /** Milliseconds per start-up phase (build, control plane, containerd, node Ready...). */
  timings: Record<string, number>;
  /** `kube-node kubectl --kubeconfig=<admin> ...args`; rejects with stderr on a non-zero exit. */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** Copies an image from podman's store into containerd's k8s.io namespace (podman save | ctr import). */
  importFromPodman(image: string): Promise<void>;
  /** Where the component logs are (kept after stop). */
  logDir: string;
  /** Deletes every Pod (so the kubelet tears their sandboxes down), stops all, removes every trace. */
  stop(): Promise<void>;
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why a real node cannot run here, or undefined when it can (the build then needs Go, gcc and podman). */
export function realNodeUnsupported(): string | undefined {
  if (process.platform !== 'linux') return `a real node needs Linux, not ${process.platform}`;
  if (process.getuid?.() !== 0) return 'a real node needs root (the kubelet manages cgroups, mounts and network namespaces)';
  const missing = ['containerd', 'containerd-shim-runc-v2', 'ctr', 'runc', 'iptables', 'nft', 'ip', 'setpriv', 'go', 'gcc', 'podman'].filter((c) => !onPath(c));
  if (missing.length) return `missing ${missing.join(', ')} (scripts/setup-node.sh installs them)`;
  if (!cniDir()) return `no CNI plugins (${CNI_PLUGINS.join(', ')}) in ${CNI_DIRS.join(' or ')} (scripts/setup-node.sh installs them)`;
  if (!existsSync('/sys/fs/cgroup/cpu') && !existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'no cgroup hierarchy under /sys/fs/cgroup';
  return undefined;
}

function cniDir(): string | undefined {
  return CNI_DIRS.find((d) => CNI_PLUGINS.every((p) => existsSync(path.join(d, p))));
}

function run(cmd: string, args: string[], opts: { input?: string | Buffer; allowFail?: boolean } = {}): string {
  const r = spawnSync(cmd, args, { input: opts.input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout ?? '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Polls fn until it returns a value; `abort` (checked outside fn's error handling) ends the wait at once. */
async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  { hint = '', abort }: { hint?: string; abort?: () => string | undefined } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const aborted = abort?.();
    if (aborted) throw new Error(`${aborted} while waiting for ${what}${hint}`);
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}${hint}`);
    await sleep(250);
  }
}

/** The IPv4 address of the default route's interface: what Pods reach the host on, and the node's InternalIP. */
function defaultHostIP(): string {
  const dev = /\bdev (\S+)/.exec(run('ip', ['-4', 'route', 'show', 'default']))?.[1];
  if (!dev) throw new Error('no IPv4 default route: cannot choose the node IP');
  const ip = /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(run('ip', ['-4', '-o', 'addr', 'show', 'dev', dev]))?.[1];
  if (!ip) throw new Error(`no IPv4 address on ${dev}`);
  return ip;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- cleanup (stop(), and a crashed run's leftovers)

/** The cgroup v1 hierarchies (or the v2 root) under which the kubelet creates CGROUP_ROOT. */
function cgroupRoots(): string[] {
  return run('findmnt', ['-rn', '-t', 'cgroup,cgroup2', '-o', 'TARGET'], { allowFail: true })
    .split('\n')
    .filter(Boolean)
    .map((t) => path.join(t, CGROUP_ROOT))
    .filter((d) => existsSync(d));
}

/** Pids in a cgroup tree. */
function cgroupPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    const procs = path.join(d, 'cgroup.procs');
    if (existsSync(procs)) out.push(...readFileSync(procs, 'utf8').split('\n').filter(Boolean).map(Number));
  };
  walk(dir);
  return out;
}

function rmdirTree(d: string): void {
  for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rmdirTree(path.join(d, e.name));
  rmdirSync(d); // a cgroup directory: rmdir, never unlink its files
}

/** Processes whose command line names NODE_DIR (containerd's shims keep running without containerd). */
function nodeDirProcesses(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (cmdline.some((a) => a.includes(NODE_DIR + '/') || a.endsWith(NODE_DIR))) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

// The kubelet's own iptables chains (pkg/kubelet/kubelet_network_linux.go): the canary it watches for
// flushes, the hint for kube-proxy's iptables-mode detection, the localnet firewall.
const KUBELET_CHAINS = ['KUBE-KUBELET-CANARY', 'KUBE-IPTABLES-HINT', 'KUBE-FIREWALL'];

/** iptables rules and chains of the CNI bridge plugin (comment `name: "kure-node"`) and of the kubelet. */
function removeIptables(): string[] {
  const removed: string[] = [];
  for (const bin of ['iptables', 'ip6tables']) {
    if (!onPath(bin)) continue;
    for (const table of ['nat', 'filter', 'mangle']) {
      const rules = run(bin, ['-w', '-t', table, '-S'], { allowFail: true }).split('\n');
      const cniChains = new Set<string>();
      for (const r of rules) {
        const m = /^-A (\S+) .*--comment "?name: \\?"kure-node\\?" id: .*-j (CNI-[0-9a-f]+)/.exec(r);
        if (m?.[2]) cniChains.add(m[2]);
      }
      const chains = new Set([...cniChains, ...KUBELET_CHAINS.filter((c) => rules.includes(`-N ${c}`))]);
      // Rules that jump to those chains first, then the chains themselves.
      for (const r of rules) {
        const m = /^-A (\S+) (.*)-j (\S+)/.exec(r);
        if (m && chains.has(m[3]!) && !chains.has(m[1]!)) run(bin, ['-w', '-t', table, '-D', m[1]!, ...splitRule(`${m[2]}-j ${m[3]}`)], { allowFail: true });
      }
      for (const c of chains) {
        removed.push(`${bin} ${table} ${c}`);
        run(bin, ['-w', '-t', table, '-F', c], { allowFail: true });
        run(bin, ['-w', '-t', table, '-X', c], { allowFail: true });
      }
    }
  }
  return removed;
}

/** Splits an `iptables -S` rule into arguments (quoted comments stay one argument). */
function splitRule(rule: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(rule); m; m = re.exec(rule)) args.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return args;
}

/**
 * Removes whatever a real node left behind: kills its processes, unmounts and removes NODE_DIR, removes
 * its cgroups, bridge, nftables tables, iptables chains and log links. Idempotent. Returns what it found.
 */
export function removeNodeLeftovers(): string[] {
  const found: string[] = [];
  const kill = (pids: number[], what: string) => {
    const live = pids.filter(pidAlive);
    if (!live.length) return;
    found.push(`${live.length} ${what}`);
    for (const pid of live) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  kill(nodeDirProcesses(), 'processes naming NODE_DIR');
  for (const d of cgroupRoots()) kill(cgroupPids(d), `processes in ${d}`);
  // Processes in the cgroups need a moment to be gone before the cgroups can be removed.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (cgroupRoots().some((d) => cgroupPids(d).some(pidAlive)) || nodeDirProcesses().length)) spawnSync('sleep', ['0.1']);

  const mounts = run('findmnt', ['-rn', '-o', 'TARGET'], { allowFail: true })
    .split('\n')
    .map((t) => t.replace(/\\x20/g, ' '))
    .filter((t) => t === NODE_DIR || t.startsWith(NODE_DIR + '/'))
    .sort((a, b) => b.length - a.length); // deepest first
  if (mounts.length) found.push(`${mounts.length} mounts`);
  for (const m of mounts) run('umount', ['-l', m], { allowFail: true });
  if (existsSync(NODE_DIR)) {
    found.push(NODE_DIR);
    rmSync(NODE_DIR, { recursive: true, force: true });
  }
  for (const d of cgroupRoots()) {
    found.push(`cgroup ${d}`);
    try {
      rmdirTree(d);
    } catch (err) {
      found.push(`(could not remove ${d}: ${(err as Error).message})`);
    }
  }
  if (spawnSync('ip', ['link', 'show', BRIDGE], { stdio: 'ignore' }).status === 0) {
    found.push(`bridge ${BRIDGE}`);
    run('ip', ['link', 'delete', BRIDGE], { allowFail: true });
  }
  for (const family of ['ip', 'ip6']) {
    if (spawnSync('nft', ['list', 'table', family, 'kube-proxy'], { stdio: 'ignore' }).status === 0) {
      found.push(`nft table ${family} kube-proxy`);
      run('nft', ['delete', 'table', family, 'kube-proxy'], { allowFail: true });
    }
  }
  found.push(...removeIptables());
  const links = '/var/log/containers';
  if (existsSync(links)) {
    for (const l of readdirSync(links)) {
      const p = path.join(links, l);
      try {
        if (readlinkSync(p).startsWith(NODE_DIR + '/')) rmSync(p, { force: true });
      } catch {
        // not a link
      }
    }
  }
  // Paths outside NODE_DIR that no flag moves: the kubelet's device-plugin socket, the CNI result cache
  // (libcni's default), containerd 1.6's shim sockets; each directory removed only when it is empty.
  rmSync('/var/lib/kubelet/device-plugins/kubelet.sock', { force: true });
  if (existsSync('/var/lib/cni/results')) {
    for (const f of readdirSync('/var/lib/cni/results')) if (f.startsWith(`${CNI_NETWORK}-`)) rmSync(path.join('/var/lib/cni/results', f), { force: true });
  }
  for (const d of ['/var/lib/kubelet/device-plugins', '/var/lib/kubelet', '/var/lib/cni/results', '/var/lib/cni', '/run/containerd/s', '/run/containerd', links]) {
    try {
      rmdirSync(d);
    } catch {
      // missing, or not empty: someone else's
    }
  }
  return found;
}

// ---------------------------------------------------------------- build

/** Runs scripts/build-node.sh (rebuilds only when its inputs changed); progress goes to `log`. */
export async function buildNode(log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<void> {
  const child = spawn('bash', [BUILD_SCRIPT], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.setEncoding('utf8').on('data', (d: string) => d.split('\n').filter(Boolean).forEach(log));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`${BUILD_SCRIPT} failed with exit code ${code}`);
}

// ---------------------------------------------------------------- start

export interface RealNodeOptions {
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Give up when the node is not Ready by then (default 180 s). */
  readyTimeoutMs?: number;
}

/** Starts the cluster; resolves when the node is Ready and the default ServiceAccount exists. */
export async function startRealNode(options: RealNodeOptions = {}): Promise<RealNode> {
  const log = options.log ?? ((l: string) => process.stderr.write(`real-node: ${l}\n`));
  const unsupported = realNodeUnsupported();
  if (unsupported) throw new Error(unsupported);
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  const timings: Record<string, number> = {};
  let t = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - t);
    t = now;
    log(`${name}: ${timings[name]} ms`);
  };

  const lock = path.join(NODE_DIR, 'owner.pid');
  if (existsSync(lock)) {
    const owner = Number(readFileSync(lock, 'utf8'));
    if (owner && pidAlive(owner)) throw new Error(`a real node is already running (pid ${owner} owns ${NODE_DIR})`);
  }
  const stale = removeNodeLeftovers();
  if (stale.length) log(`removed a previous run's leftovers: ${stale.join(', ')}`);

  await buildNode((l) => log(l));
  phase('build');

  mkdirSync(NODE_DIR, { recursive: true, mode: 0o700 });
  writeFileSync(lock, String(process.pid));
  mkdirSync(LOG_DIR, { recursive: true });
  const hostIP = defaultHostIP();
  const children: { name: string; child: ChildProcess; exited: Promise<void> }[] = [];
  let cp: ControlPlane | undefined;
  const kubeconfigPath = path.join(NODE_DIR, 'control-plane', 'kubeconfig');
  const pki = path.join(NODE_DIR, 'control-plane', 'pki');

  /** Starts a component; it dies with this process (pdeathsig), its output goes to LOG_DIR/<name>.log. */
  const startComponent = (name: string, cmd: string, args: string[]) => {
    const out = createWriteStream(path.join(LOG_DIR, `${name}.log`));
    const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    const exited = new Promise<void>((resolve) =>
      child.on('close', (code, signal) => {
        out.end(`\n${name} exited: ${code ?? signal}\n`);
        resolve();
      }),
    );
    children.push({ name, child, exited });
    return child;
  };
  const kubectl = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(KUBE_NODE, ['kubectl', `--kubeconfig=${kubeconfigPath}`, `--cache-dir=${path.join(NODE_DIR, 'kubectl-cache')}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 120_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`kubectl ${args.join(' ')}: exit ${code}: ${stderr.trim()}`))));
      child.stdin.end(opts.input ?? '');
    });
  const ctr = (args: string[], input?: string | Buffer) => run('ctr', ['--address', CONTAINERD_SOCK, '--namespace', 'k8s.io', ...args], { input });
  const exitedEarly = () => {
    const e = children.find((c) => c.child.exitCode !== null || c.child.signalCode !== null);
    return e && `${e.name} exited with ${e.child.exitCode ?? e.child.signalCode}; see ${path.join(LOG_DIR, `${e.name}.log`)}`;
  };
  const hint = (name: string) => `; see ${path.join(LOG_DIR, `${name}.log`)}`;

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const stopStart = performance.now();
      const byName = (n: string) => children.find((c) => c.name === n);
      const end = async (n: string) => {
        const c = byName(n);
        if (!c || c.child.exitCode !== null || c.child.signalCode !== null) return;
        c.child.kill('SIGTERM');
        await Promise.race([c.exited, sleep(15_000)]);
        if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
        await c.exited;
      };
      // No new Pods, then every Pod deleted through the kubelet, which stops its containers, tears its
      // sandbox's network down (CNI DEL) and unmounts its volumes before the API object goes.
      await end('kube-controller-manager');
      await end('kube-scheduler');
      const kubeletUp = byName('kubelet') && byName('kubelet')!.child.exitCode === null;
      if (cp && kubeletUp) {
        try {
          await kubectl(['delete', 'pods', '--all', '--all-namespaces', '--grace-period=1', '--wait=false']);
          await waitFor('every Pod gone', async () => (await kubectl(['get', 'pods', '-A', '-o', 'name'])).trim() === '', 60_000);
        } catch (err) {
          log(`Pods not removed through the kubelet (${(err as Error).message}); removing the node's state directly`);
        }
      }
      await end('kube-proxy');
      if (existsSync(KUBE_NODE)) run('setpriv', ['--pdeathsig', 'SIGKILL', '--', KUBE_NODE, 'kube-proxy', '--cleanup'], { allowFail: true });
      await end('kubelet');
      if (byName('containerd')?.child.exitCode === null) {
        // Sandboxes the kubelet stopped but had not garbage-collected yet: their tasks, then containerd.
        try {
          for (const id of ctr(['tasks', 'ls', '-q']).split('\n').filter(Boolean)) ctr(['tasks', 'kill', '-s', 'SIGKILL', id]);
        } catch {
          // removeNodeLeftovers kills what is left
        }
      }
      await end('containerd');
      await cp?.stop();
      const left = removeNodeLeftovers();
      log(`stopped in ${Math.round(performance.now() - stopStart)} ms${left.length ? `; removed: ${left.join(', ')}` : ''}`);
    })());

  try {
    // The API server on every address (Pods reach it through the kubernetes Service, whose endpoint is
    // the advertised host IP), with the ServiceAccount admission plugin that the test control plane
    // disables (Pods get their token volume from it).
    // By URL, so that Node's type stripping (scripts/real-node.ts) finds the .ts file; jest transforms it too.
    const { startControlPlane } = (await import(new URL('./control-plane.ts', import.meta.url).href)) as typeof ControlPlaneModule;
    cp = await startControlPlane({
      dataDir: path.join(NODE_DIR, 'control-plane'),
      logFile: path.join(LOG_DIR, 'control-plane.log'),
      // kubectl exec/logs: the API server calls the kubelet with the admin client certificate.
      apiServerArgs: [
        '--bind-address=0.0.0.0',
        `--advertise-address=${hostIP}`,
        '--disable-admission-plugins=',
        `--kubelet-client-certificate=${path.join(pki, 'admin.crt')}`,
        `--kubelet-client-key=${path.join(pki, 'admin.key')}`,
        '--kubelet-preferred-address-types=InternalIP',
      ],
    });
    phase('control plane');

    // containerd: its own root, state and socket under NODE_DIR; the local pause image as sandbox image;
    // restrict_oom_score_adj since this root lacks CAP_SYS_RESOURCE (the pause container asks for -998).
    const pauseImage = readFileSync(path.join(NODE_CACHE, 'pause.image'), 'utf8').trim();
    const netd = path.join(NODE_DIR, 'net.d');
    mkdirSync(netd);
    writeFileSync(
      path.join(netd, '10-kure-node.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: CNI_NETWORK,
        plugins: [
          {
            type: 'bridge',
            bridge: BRIDGE,
            isGateway: true,
            ipMasq: true,
            hairpinMode: true,
            ipam: { type: 'host-local', ranges: [[{ subnet: POD_CIDR }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: path.join(NODE_DIR, 'cni-ipam') },
          },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      }),
    );
    const containerdConfig = path.join(NODE_DIR, 'containerd.toml');
    writeFileSync(
      containerdConfig,
      [
        'version = 2',
        `root = "${NODE_DIR}/containerd/root"`,
        `state = "${NODE_DIR}/containerd/state"`,
        '[grpc]',
        `  address = "${CONTAINERD_SOCK}"`,
        '[ttrpc]',
        `  address = "${CONTAINERD_SOCK}.ttrpc"`,
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = "${NODE_DIR}/containerd/opt"`,
        '[plugins."io.containerd.grpc.v1.cri"]',
        `  sandbox_image = "${pauseImage}"`,
        '  restrict_oom_score_adj = true',
        '  netns_mounts_under_state_dir = true',
        '  [plugins."io.containerd.grpc.v1.cri".cni]',
        `    bin_dir = "${cniDir()}"`,
        `    conf_dir = "${netd}"`,
        // A runtimes table given here replaces the default one: runtime_type too.
        '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
        '    runtime_type = "io.containerd.runc.v2"',
        '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
        '      SystemdCgroup = false',
        `      Root = "${NODE_DIR}/runc"`,
        '',
      ].join('\n'),
    );
    startComponent('containerd', 'containerd', ['--config', containerdConfig]);
    await waitFor('containerd', () => existsSync(CONTAINERD_SOCK) && spawnSync('ctr', ['--address', CONTAINERD_SOCK, 'version'], { stdio: 'ignore' }).status === 0, 30_000, {
      hint: hint('containerd'),
      abort: exitedEarly,
    });
    ctr(['images', 'import', path.join(NODE_CACHE, 'pause.tar')]);
    phase('containerd');

    // kubelet: cgroupfs under /kure-node (cgroup v1 is deprecated in 1.37 and refused unless
    // failCgroupV1 is false), its API on the node IP for client certificates of the cluster CA only
    // (the API server's, for exec and logs), no image GC, no eviction on a busy disk.
    // The kubelet wants its cgroup root to exist in every hierarchy.
    for (const m of run('findmnt', ['-rn', '-t', 'cgroup,cgroup2', '-o', 'TARGET']).split('\n').filter(Boolean)) mkdirSync(path.join(m, CGROUP_ROOT), { recursive: true });
    const kubeletConfig = path.join(NODE_DIR, 'kubelet.json');
    writeFileSync(
      kubeletConfig,
      JSON.stringify({
        apiVersion: 'kubelet.config.k8s.io/v1beta1',
        kind: 'KubeletConfiguration',
        failCgroupV1: false,
        cgroupDriver: 'cgroupfs',
        cgroupRoot: `/${CGROUP_ROOT}`,
        containerRuntimeEndpoint: `unix://${CONTAINERD_SOCK}`,
        address: hostIP,
        healthzBindAddress: '127.0.0.1',
        readOnlyPort: 0,
        authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: path.join(pki, 'ca.crt') } },
        authorization: { mode: 'AlwaysAllow' },
        failSwapOn: false,
        imageGCHighThresholdPercent: 100,
        imageGCLowThresholdPercent: 99,
        evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
        podLogsDir: path.join(NODE_DIR, 'pod-logs'),
        resolvConf: '/etc/resolv.conf',
        serializeImagePulls: false,
      }),
    );
    startComponent('kubelet', KUBE_NODE, [
      'kubelet',
      `--config=${kubeletConfig}`,
      `--kubeconfig=${kubeconfigPath}`,
      `--root-dir=${path.join(NODE_DIR, 'kubelet')}`,
      `--cert-dir=${path.join(NODE_DIR, 'kubelet', 'pki')}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${hostIP}`,
    ]);
    startComponent('kube-controller-manager', KUBE_NODE, [
      'kube-controller-manager',
      `--kubeconfig=${kubeconfigPath}`,
      `--root-ca-file=${path.join(pki, 'ca.crt')}`,
      `--service-account-private-key-file=${path.join(pki, 'sa.key')}`,
      '--leader-elect=false',
      '--secure-port=0',
    ]);
    startComponent('kube-scheduler', KUBE_NODE, ['kube-scheduler', `--kubeconfig=${kubeconfigPath}`, '--leader-elect=false', '--secure-port=0']);
    // kube-proxy in nftables mode: all its rules in its own `kube-proxy` tables; no conntrack sysctls changed.
    const proxyConfig = path.join(NODE_DIR, 'kube-proxy.json');
    writeFileSync(
      proxyConfig,
      JSON.stringify({
        apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
        kind: 'KubeProxyConfiguration',
        mode: 'nftables',
        clientConnection: { kubeconfig: kubeconfigPath },
        hostnameOverride: NODE_NAME,
        clusterCIDR: POD_CIDR,
        healthzBindAddress: '127.0.0.1:10256',
        metricsBindAddress: '127.0.0.1:10249',
        conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s', udpTimeout: '0s', udpStreamTimeout: '0s' },
      }),
    );
    startComponent('kube-proxy', KUBE_NODE, ['kube-proxy', `--config=${proxyConfig}`]);

    await waitFor(
      `node ${NODE_NAME} Ready`,
      async () => {
        const out = await kubectl(['get', 'node', NODE_NAME, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
        return out.trim() === 'True';
      },
      readyTimeoutMs,
      { hint: hint('kubelet'), abort: exitedEarly },
    );
    phase('node Ready');
    await waitFor(
      'the default ServiceAccount and kube-root-ca.crt',
      async () => {
        await kubectl(['get', 'serviceaccount/default', 'configmap/kube-root-ca.crt', '-n', 'default']);
        return true;
      },
      60_000,
      { hint: hint('kube-controller-manager'), abort: exitedEarly },
    );
    phase('controllers');
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    kubeconfigPath,
    server: cp.server,
    hostIP,
    timings,
    kubectl,
    logDir: LOG_DIR,
    async importFromPodman(image) {
      const archive = path.join(NODE_DIR, 'import.tar');
      run('podman', ['save', '-q', '--format', 'oci-archive', '-o', archive, image]);
      try {
        ctr(['images', 'import', archive]);
      } finally {
        rmSync(archive, { force: true });
      }
    },
    stop,
  };
}
