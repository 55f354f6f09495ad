// Jest global setup of the "integration" project: one API server per test run.
// - KURE_TEST_KUBECONFIG already set: use that cluster, start nothing.
// - otherwise: build the local control plane if needed, start it, and hand its kubeconfig to the
//   test workers through KURE_TEST_KUBECONFIG (workers inherit this process's environment).
import type * as ControlPlaneModule from './control-plane.js';

const HANDLE = '__KURE_TEST_CONTROL_PLANE__';

export default async function globalSetup(): Promise<void> {
  // Jest loads this file with Node's own ESM loader (type stripping), which needs the real .ts file
  // name; the type-only import above keeps tsc checking it.
  const { KUBECONFIG_ENV, LOCAL_VERSION_ENV, controlPlaneVersion, startControlPlane } = (await import(
    new URL('./control-plane.ts', import.meta.url).href
  )) as typeof ControlPlaneModule;
  const existing = process.env[KUBECONFIG_ENV];
  if (existing) {
    process.stderr.write(`\nintegration tests: using the existing cluster of ${KUBECONFIG_ENV}=${existing}\n`);
    return;
  }
  const cp = await startControlPlane();
  (globalThis as Record<string, unknown>)[HANDLE] = cp satisfies ControlPlaneModule.ControlPlane;
  process.env[KUBECONFIG_ENV] = cp.kubeconfigPath;
  process.env[LOCAL_VERSION_ENV] = controlPlaneVersion();
  process.stderr.write(`\nintegration tests: local control plane ${cp.server} ready in ${cp.startupMs} ms (pid ${cp.pid})\n`);
}
