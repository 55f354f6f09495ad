// The README, tried as a new user would: its shell blocks marked `<!-- readme-test: NAME -->` are read
// from README.md and run exactly as written, so the text cannot drift from what works; every link
// inside it points at a file of the repository.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CONTAINERS_REQUIRED } from '../support/container-engine.js';
import { REPO_ROOT, startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { findHelm } from '../support/helm.js';
import { kubeConfigFromFile, kubeRequest } from '../support/kube.js';

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

/** The ```sh block right after each `<!-- readme-test: NAME ... -->` marker. */
function blocks(): Map<string, string> {
  const out = new Map<string, string>();
  const re = /<!-- readme-test: ([\w-]+)[^>]*-->\s*\n```sh\n([\s\S]*?)\n```/g;
  for (const m of README.matchAll(re)) out.set(m[1]!, m[2]!);
  return out;
}

/** The environment of a user's shell: without the variables of the `npm test` this runs under. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|INIT_CWD$|KURE_TEST_|NODE_OPTIONS$|JEST_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function sh(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const onPath = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('README.md', () => {
  it('has the quickstart, offline and helm blocks the tests run', () => {
    expect([...blocks().keys()]).toEqual(['quickstart', 'offline', 'helm']);
    expect(blocks().get('quickstart')).toBe('npm ci && npm run demo');
  });

  it('links only to files inside the repository', () => {
    const links = [...README.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^(https?:|mailto:|#)/.test(l));
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) {
      const target = path.resolve(REPO_ROOT, link.replace(/#.*$/, ''));
      expect({ link, inside: target.startsWith(REPO_ROOT + path.sep), exists: existsSync(target) }).toEqual({ link, inside: true, exists: true });
    }
  });

  describe('run as written', () => {
    let copy: string;
    beforeAll(() => {
      // A fresh copy of the repository (what a clone would hold, plus uncommitted files), with the API server
      // binary this run already built, so the demo does not compile it again.
      copy = mkdtempSync(path.join(tmpdir(), 'kure-readme-'));
      const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
      for (const f of files) {
        if (!existsSync(path.join(REPO_ROOT, f))) continue; // deleted in the working tree
        mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
        cpSync(path.join(REPO_ROOT, f), path.join(copy, f));
      }
      const cpCache = path.join(REPO_ROOT, '.cache', 'control-plane');
      for (const f of ['kube-control-plane', 'kube-control-plane.inputs'])
        if (existsSync(path.join(cpCache, f))) cpSync(path.join(cpCache, f), path.join(copy, '.cache', 'control-plane', f));
    });
    afterAll(() => {
      if (copy) rmSync(copy, { recursive: true, force: true });
    });

    it('quickstart: `npm ci && npm run demo` in a fresh copy runs the whole loop', async () => {
      const { code, out } = await sh(blocks().get('quickstart')!, copy, userEnv());
      expect({ code, tail: out.slice(-3000) }).toMatchObject({ code: 0 });
      expect(out).toMatch(/==> The commits Kure pushed/);
      expect(out).toMatch(/clusters\/production\/nodes\/apps\/web\/frontend\.yaml \| 2 \+-/);
      expect(out).toMatch(/kurecluster\.kure\.dev\/production +flux +True +Rendered/);
      expect(out).toMatch(/==> Done in/);
    }, 900_000);

    it('offline: render, validate and diff of examples/platform', async () => {
      if (!existsSync(path.join(copy, 'node_modules'))) throw new Error('needs the quickstart test (npm ci) first');
      const { code, out } = await sh(blocks().get('offline')!, copy, userEnv());
      expect({ code, out }).toMatchObject({ code: 0 });
      expect(existsSync(path.join(copy, 'out', 'clusters', 'production', 'kustomization.yaml'))).toBe(true);
      expect(existsSync(path.join(copy, 'out', 'clusters', 'staging', 'bootstrap', 'staging.yaml'))).toBe(true);
    }, 120_000);
  });

  const helmBin = findHelm();
  const canHelm = !!helmBin && onPath('kubectl');
  if (!canHelm && !CONTAINERS_REQUIRED) process.stderr.write('\nREADME helm block skipped: needs helm (scripts/build-helm.sh) and kubectl\n');
  (canHelm || CONTAINERS_REQUIRED ? describe : describe.skip)('helm block', () => {
    let cp: ControlPlane;
    let dir: string;
    beforeAll(async () => {
      if (!canHelm) throw new Error('the README helm block needs helm and kubectl (CI must provide them)');
      dir = mkdtempSync(path.join(tmpdir(), 'kure-readme-helm-'));
      cp = await startControlPlane({ logFile: path.join(dir, 'control-plane.log') });
    });
    afterAll(async () => {
      await cp?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('installs the chart, creates the namespaces and Secrets, applies the examples, lists them (a fresh API server)', async () => {
      const env = userEnv({
        KUBECONFIG: cp.kubeconfigPath,
        PATH: `${path.dirname(helmBin!)}:${process.env.PATH}`,
        GIT_TOKEN: 'not-a-real-token',
        HELM_CACHE_HOME: path.join(dir, 'helm-cache'),
        HELM_CONFIG_HOME: path.join(dir, 'helm-config'),
        HELM_DATA_HOME: path.join(dir, 'helm-data'),
      });
      const { code, out } = await sh(blocks().get('helm')!, REPO_ROOT, env);
      expect({ code, out }).toMatchObject({ code: 0 });
      expect(out).toMatch(/STATUS: deployed/);
      expect(out).toMatch(/kurecluster\.kure\.dev\/production/);
      const kc = kubeConfigFromFile(cp.kubeconfigPath);
      const { body } = await kubeRequest<{ spec: { template: { spec: { containers: { image: string }[] } } } }>('GET', '/apis/apps/v1/namespaces/kure-system/deployments/kure', undefined, { kc });
      expect(body.spec.template.spec.containers[0]!.image).toMatch(/^registry\.example\.com\/platform\/kure:/);
      const { body: secret } = await kubeRequest<{ data: Record<string, string>; metadata: { labels?: Record<string, string> } }>('GET', '/api/v1/namespaces/platform-staging/secrets/fleet-git', undefined, { kc });
      expect(Buffer.from(secret.data.password!, 'base64').toString()).toBe('not-a-real-token');
      expect(secret.metadata.labels).toMatchObject({ 'kure.dev/credentials': 'true' });
    }, 180_000);
  });
});
