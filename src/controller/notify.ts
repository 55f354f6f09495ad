// After a push, ask the GitOps engine to look at Git now instead of at its next interval, as the
// engines' own webhook receivers do: Flux — `reconcile.fluxcd.io/requestedAt` on the GitRepository
// that Kure's Kustomizations read; Argo CD — `argocd.argoproj.io/refresh` on the Applications whose
// directories changed (and the root Application when an Application file changed).
//
// Best effort: the engine may run elsewhere or not be installed (404), or the chart may not grant
// the patch (403, `controller.notifyEngine: false`); the commit is in Git either way and the
// engine picks it up at its interval. Only metadata.annotations is patched.
import type { ClusterModel } from '../model/types.js';
import { allBundles, bundleDir } from '../render/layout.js';
import { statusCode } from './kube.js';
import type { Logger } from './logger.js';

export const FLUX_REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
export const ARGO_REFRESH = 'argocd.argoproj.io/refresh';

/** One annotation merge patch on one engine object. */
export interface Poke {
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name: string;
  annotations: Record<string, string>;
}

/**
 * The engine objects to poke after a push that changed `changedPaths` (relative to the cluster's
 * path). Pure: the reconciler runs them with `EngineNotifier`.
 */
export function pokesAfterPush(model: ClusterModel, changedPaths: readonly string[], now: Date): Poke[] {
  if (changedPaths.length === 0) return [];
  if (model.engine === 'flux') {
    // An OCIRepository or Bucket is filled from this repository by something else: nothing to poke.
    if (model.flux.sourceRef.kind !== 'GitRepository') return [];
    const source = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories', namespace: model.flux.namespace };
    return [{ ...source, name: model.flux.sourceRef.name, annotations: { [FLUX_REQUESTED_AT]: now.toISOString() } }];
  }
  const app = (name: string): Poke => ({
    group: 'argoproj.io',
    version: 'v1alpha1',
    plural: 'applications',
    namespace: model.argocd.namespace,
    name,
    annotations: { [ARGO_REFRESH]: 'normal' },
  });
  const pokes: Poke[] = [];
  if (model.bootstrap && changedPaths.some((p) => p.startsWith('apps/'))) pokes.push(app(model.name));
  // A changed Application object itself needs no poke: Argo CD watches Applications.
  for (const b of allBundles(model)) {
    const dir = `${bundleDir(b)}/`;
    if (b.external === undefined && changedPaths.some((p) => p.startsWith(dir))) pokes.push(app(b.name));
  }
  return pokes;
}

export interface PatchClient {
  patchAnnotations(p: Poke): Promise<void>;
}

/** Runs pokes; never throws. A 403 is logged once per object kind (the chart value is off). */
export class EngineNotifier {
  private readonly forbidden = new Set<string>();

  constructor(
    private readonly client: PatchClient,
    private readonly logger: Logger,
  ) {}

  async notify(cluster: string, pokes: readonly Poke[]): Promise<number> {
    let done = 0;
    await Promise.all(
      pokes.map(async (p) => {
        const what = `${p.plural}.${p.group} ${p.namespace}/${p.name}`;
        try {
          await this.client.patchAnnotations(p);
          done++;
          this.logger.debug({ cluster, object: what, annotations: p.annotations }, 'asked the GitOps engine to reconcile now');
        } catch (err) {
          const code = statusCode(err);
          if (code === 404) {
            this.logger.debug({ cluster, object: what }, 'no such engine object to poke (engine elsewhere or not installed); it polls Git at its interval');
          } else if (code === 403) {
            if (!this.forbidden.has(p.plural)) {
              this.forbidden.add(p.plural);
              this.logger.info({ cluster, object: what }, `not allowed to patch ${p.plural}.${p.group}: the engine picks the commit up at its interval (chart value controller.notifyEngine)`);
            }
          } else {
            this.logger.warn({ cluster, object: what, code, err: (err as Error).message }, 'could not ask the GitOps engine to reconcile now');
          }
        }
      }),
    );
    return done;
  }
}
