// The schemas Kure checks its output against (src/schemas/generated) are what `npm run schemas`
// makes of the real sources today: the test control plane's discovery and /openapi/v3 (the
// Kubernetes version Kure targets) and the reference Flux and Argo CD CRDs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATED, gitops, kubernetes, version } from '../../scripts/generate-schemas.js';
import { loadTestKubeConfig } from '../support/kube.js';

const current = (file: string) => readFileSync(path.join(GENERATED, file), 'utf8');

describe('src/schemas/generated (npm run schemas regenerates it)', () => {
  it('gitops.ts matches the reference CRDs', () => {
    expect(gitops()).toBe(current('gitops.ts'));
  });

  it('kubernetes.ts matches the discovery and OpenAPI of the test API server', async () => {
    const kc = loadTestKubeConfig();
    const served = await version(kc);
    expect(served).toBe('v1.37.2');
    expect(await kubernetes(kc, served)).toBe(current('kubernetes.ts'));
  });
});
