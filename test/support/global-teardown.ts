// Jest global teardown of the "integration" project: stops the control plane global setup started.
import type { ControlPlane } from './control-plane.js';

const HANDLE = '__KURE_TEST_CONTROL_PLANE__';

export default async function globalTeardown(): Promise<void> {
  const cp = (globalThis as Record<string, unknown>)[HANDLE] as ControlPlane | undefined;
  if (!cp) return; // an existing cluster was used
  delete (globalThis as Record<string, unknown>)[HANDLE];
  await cp.stop();
  delete process.env.KURE_TEST_KUBECONFIG;
  delete process.env.KURE_TEST_CONTROL_PLANE_VERSION;
}
