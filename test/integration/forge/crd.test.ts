// The repository fields of pull-request mode and signing in the real API server (crds/, generated
// from src/api/schema.ts): valid specs are accepted, incomplete ones refused with the CEL message.
import path from 'node:path';
import { REPO_ROOT } from '../../support/control-plane.js';
import { applyCrdsFromDir, createTestNamespace, serverSideDryRun, type KubeObject } from '../../support/kube.js';

let ns: string;
beforeAll(async () => {
  await applyCrdsFromDir(path.join(REPO_ROOT, 'crds'));
  ns = await createTestNamespace();
});

const cluster = (repository: Record<string, unknown>): KubeObject => ({
  apiVersion: 'kure.dev/v1alpha1',
  kind: 'KureCluster',
  metadata: { name: 'prod', namespace: ns },
  spec: {
    gitops: { engine: 'flux', flux: { namespace: 'flux-system', sourceRef: { kind: 'GitRepository', name: 'flux-system' } } },
    repository: { url: 'https://git.example.com/platform/gitops.git', branch: 'main', path: 'clusters/prod', ...repository },
  },
});

describe('KureCluster spec.repository: createBranch, writeMode, pullRequest, signCommits', () => {
  it('accepts a full pull-request spec and createBranch', async () => {
    await expect(
      serverSideDryRun(
        cluster({
          createBranch: true,
          secretRef: { name: 'git' },
          signCommits: true,
          writeMode: 'pullRequest',
          pullRequest: { forge: 'gitea', baseBranch: 'main', branchPrefix: 'kure', labels: ['gitops'], reviewers: ['lead'], autoMerge: { method: 'squash' } },
        }),
      ),
    ).resolves.toBeDefined();
  });
  it.each([
    ['writeMode pullRequest without pullRequest', { writeMode: 'pullRequest' }, /writeMode pullRequest needs pullRequest/],
    ['an unknown writeMode', { writeMode: 'merge' }, /writeMode/],
    ['an unknown forge', { writeMode: 'pullRequest', pullRequest: { forge: 'bitbucket' } }, /forge/],
    ['an unknown merge method', { writeMode: 'pullRequest', pullRequest: { forge: 'gitea', autoMerge: { method: 'octopus' } } }, /method/],
    ['signCommits without secretRef', { signCommits: true }, /signCommits needs secretRef/],
  ])('rejects %s', async (_name, repository, message) => {
    await expect(serverSideDryRun(cluster(repository))).rejects.toThrow(message);
  });
});
