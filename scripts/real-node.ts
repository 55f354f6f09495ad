// `npm run real-node`: builds kube-node and the pause image if needed (scripts/build-node.sh), starts a real
// single-node cluster (test/support/real-node.ts: the test API server, kubelet, kube-controller-manager,
// kube-scheduler, kube-proxy, containerd), prints `KUBECONFIG=<path>` once the node is Ready, and on
// SIGINT/SIGTERM deletes every Pod through the kubelet and removes everything it created. As root.
//   --image=localhost/kure:0.1.0   also copy that image from podman into the node's containerd (repeatable)
import type * as RealNodeModule from '../test/support/real-node.js';

// Loaded by URL so that Node (type stripping) resolves the .ts file at run time while tsc checks the types.
const { startRealNode, removeNodeLeftovers } = (await import(new URL('../test/support/real-node.ts', import.meta.url).href)) as typeof RealNodeModule;

const images = process.argv.slice(2).flatMap((a) => (a.startsWith('--image=') ? [a.slice('--image='.length)] : []));
// A signal while it starts: the components die with this process (pdeathsig); remove what they left.
const duringStart = (signal: string) => {
  process.stderr.write(`${signal} during start-up: removing the node\n`);
  removeNodeLeftovers();
  process.exit(130);
};
process.once('SIGINT', duringStart).once('SIGTERM', duringStart);
const node = await startRealNode();
process.off('SIGINT', duringStart).off('SIGTERM', duringStart);
for (const image of images) {
  const t = performance.now();
  await node.importFromPodman(image);
  process.stderr.write(`real-node: imported ${image} in ${Math.round(performance.now() - t)} ms\n`);
}
process.stderr.write(`real-node: ready (${JSON.stringify(node.timings)}); logs in ${node.logDir}; Ctrl-C stops it\n`);
process.stdout.write(`KUBECONFIG=${node.kubeconfigPath}\n`);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`${signal}: stopping the node\n`);
  void node.stop().then(() => process.exit(0));
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
