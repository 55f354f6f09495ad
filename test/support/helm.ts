// helm for the chart tests: .cache/bin/helm (scripts/build-helm.sh), else KURE_HELM, else `helm` on PATH.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

import { REPO_ROOT } from './control-plane.js';
import type { KubeObject } from './kube.js';

export const CHART_DIR = path.join(REPO_ROOT, 'deploy', 'kure');

/** The helm binary to use, or undefined when there is none (build it: scripts/build-helm.sh). */
export function findHelm(): string | undefined {
  const candidates = [process.env.KURE_HELM, path.join(REPO_ROOT, '.cache', 'bin', 'helm')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return spawnSync('sh', ['-c', 'command -v helm'], { encoding: 'utf8' }).stdout.trim() || undefined;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function helm(args: string[], { helmBin = findHelm() }: { helmBin?: string } = {}): Promise<HelmResult> {
  if (!helmBin) throw new Error('helm not found: run scripts/build-helm.sh');
  return new Promise((resolve) => {
    execFile(helmBin, args, { cwd: REPO_ROOT, maxBuffer: 64 << 20, env: { ...process.env, HELM_CACHE_HOME: path.join(tmpdir(), 'kure-helm-cache') } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

export interface TemplateOptions {
  release?: string;
  namespace?: string;
  /** Values, written to a temporary values file (so nested values need no --set escaping). */
  values?: Record<string, unknown>;
  /** Also render crds/ (what `helm install` applies first). */
  includeCrds?: boolean;
}

/** `helm template` of deploy/kure; every rendered object, in output order. Throws with helm's message on failure. */
export async function helmTemplate({ release = 'kure', namespace = 'kure-system', values = {}, includeCrds = false }: TemplateOptions = {}): Promise<KubeObject[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kure-helm-values-'));
  try {
    const file = path.join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    const args = ['template', release, CHART_DIR, '--namespace', namespace, '-f', file, ...(includeCrds ? ['--include-crds'] : [])];
    const r = await helm(args);
    if (r.code !== 0) throw new Error(`helm ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    return parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => !!o && typeof o === 'object' && 'kind' in o);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Helm hook objects (helm test Pods...) are not part of the release's manifest. */
export function isHook(o: KubeObject): boolean {
  const annotations = (o.metadata?.annotations ?? {}) as Record<string, string>;
  return 'helm.sh/hook' in annotations;
}
