// `kubectl explain` on Kure's CRDs, with the real kubectl against the test API server: the field
// descriptions of src/api/schema.ts must reach users through the server's published OpenAPI v3.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/control-plane.js';
import { applyCrdsFromDir, testKubeconfigPath } from '../support/kube.js';

const run = promisify(execFile);
const CRDS = path.join(REPO_ROOT, 'crds');
const KUBECTL = process.env.KUBECTL ?? 'kubectl';

type Json = Record<string, unknown>;

/** The description of `field` (e.g. `spec.dependsOn`; '' for the kind) in the checked-in CRD of `plural`. */
function description(plural: string, field: string): string {
  const crd = parse(readFileSync(path.join(CRDS, `kure.dev_${plural}.yaml`), 'utf8'));
  let node = crd.spec.versions[0].schema.openAPIV3Schema as Json;
  for (const key of field ? field.split('.') : []) {
    const props = (node.properties ?? (node.items as Json | undefined)?.properties) as Record<string, Json> | undefined;
    if (!props?.[key]) throw new Error(`${plural} has no field ${field}`);
    node = props[key];
  }
  return String(node.description);
}

/** kubectl wraps and indents descriptions: compare with all whitespace runs as one space. */
const flat = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * `kubectl explain <what>`. The API server publishes a new CRD's OpenAPI a moment after it is
 * Established, so this retries until the field is known (or the deadline passes).
 */
async function explain(what: string, deadlineMs = 60_000): Promise<string> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      const { stdout } = await run(KUBECTL, ['explain', what, '--kubeconfig', testKubeconfigPath()], { timeout: 30_000 });
      return stdout;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error(`${KUBECTL} not found: this test needs kubectl on PATH (or KUBECTL=/path/to/kubectl)`, { cause: err });
      if (Date.now() > until) throw new Error(`kubectl explain ${what} failed: ${e.stderr ?? e.message}`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

beforeAll(async () => {
  await applyCrdsFromDir(CRDS);
});

describe('kubectl explain on the Kure CRDs', () => {
  it('kurebundle.spec.dependsOn says what the field does, for Flux and Argo CD', async () => {
    const out = flat(await explain('kurebundle.spec.dependsOn'));
    const expected = description('kurebundles', 'spec.dependsOn');
    expect(expected).toMatch(/Flux: the Kustomization dependsOn/);
    expect(expected).toMatch(/Argo CD: the sync wave/);
    expect(out).toContain('FIELD: dependsOn <[]Object>');
    expect(out).toContain(flat(expected));
    // The items' own field, with its description.
    expect(out).toContain(`name <string> -required- ${flat(description('kurebundles', 'spec.dependsOn.name'))}`);
  });

  it('kurecluster.spec.repository.path gives the default and the constraints', async () => {
    const out = flat(await explain('kurecluster.spec.repository.path'));
    const expected = description('kureclusters', 'spec.repository.path');
    expect(expected).toContain('Default: clusters/<metadata.name>.');
    expect(out).toContain(flat(expected));
  });

  it('kurebundle.spec.wait states its default rule, and a kind explains itself', async () => {
    expect(flat(await explain('kurebundle.spec.wait'))).toContain(flat(description('kurebundles', 'spec.wait')));
    const kind = flat(await explain('kureapplication'));
    expect(kind).toContain(flat(description('kureapplications', '')));
    expect(kind).toContain(`spec <Object> -required- ${flat(description('kureapplications', 'spec'))}`);
  });
});
