// `npm run control-plane`: builds the local test control plane if needed (scripts/build-control-plane.sh),
// runs it in the foreground, prints `KUBECONFIG=<path>` once GET /readyz is ok, and stops it cleanly
// (removing its temp dirs) on SIGINT/SIGTERM. Point tests at it with KURE_TEST_KUBECONFIG=<path>.
import type * as ControlPlaneModule from '../test/support/control-plane.js';

// Loaded by URL so that Node (type stripping) resolves the .ts file at run time while tsc checks the types.
const { startControlPlane } = (await import(new URL('../test/support/control-plane.ts', import.meta.url).href)) as typeof ControlPlaneModule;

const cp = await startControlPlane();
process.stderr.write(`control plane ${cp.server} ready in ${cp.startupMs} ms (pid ${cp.pid}); Ctrl-C stops it\n`);
process.stdout.write(`KUBECONFIG=${cp.kubeconfigPath}\n`);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`${signal}: stopping the control plane\n`);
  void cp.stop().then(() => process.exit(0));
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
void cp.exited.then((code) => {
  if (stopping) return;
  process.stderr.write(`control plane exited unexpectedly with code ${code}\n`);
  void cp.stop().then(() => process.exit(code || 1));
});
