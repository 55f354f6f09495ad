// The reasons Kure's conditions carry, in one table: the API of status, as much as the fields are.
// Tools (alerts, kubectl wait scripts, Flux health checks of Kure objects) match on these names.

/** Reasons of the Ready condition. */
export const Reason = {
  /** The hierarchy rendered and the repository holds the result. */
  Rendered: 'Rendered',
  /** A field has a value that is not allowed (names, paths, one-of rules, ...). */
  InvalidSpec: 'InvalidSpec',
  /** A reference (clusterRef, parentRef, nodeRef, bundleRef, dependsOn, secretRef) names nothing. */
  NotFound: 'NotFound',
  /** KureCluster spec.repository.secretRef names a Secret that exists but lacks kure.dev/credentials=true. */
  SecretNotLabelled: 'SecretNotLabelled',
  DependencyCycle: 'DependencyCycle',
  /** A cross-namespace attachment the bundle does not admit. */
  NotAllowed: 'NotAllowed',
  Duplicate: 'Duplicate',
  /** Fetch, commit or push failed; see the message. */
  GitError: 'GitError',
  /** spec.suspend is true: nothing is pushed. */
  Suspended: 'Suspended',
  Progressing: 'Progressing',
  /** Reconciling=True: the last attempt failed transiently and is retried with backoff. */
  ProgressingWithRetry: 'ProgressingWithRetry',
  /** writeMode pullRequest: the base branch holds the tree (the pull request merged, or nothing to change). */
  Merged: 'Merged',
  /** writeMode pullRequest: a pull request waits for review, checks or a merge. */
  PullRequestOpen: 'PullRequestOpen',
  /** writeMode pullRequest: the forge refused the merge (conflict); rebuilt on the next sync. */
  Conflict: 'Conflict',
  /** writeMode pullRequest: Kure's pull request was closed without merge; not re-opened until the tree changes. */
  PullRequestClosed: 'PullRequestClosed',
  /** writeMode pullRequest: the forge's API failed (its message follows). */
  ForgeError: 'ForgeError',
  /** Cluster: rendered and pushed, but some bundles are held back at their last good state in Git (their own objects say why). */
  Degraded: 'Degraded',
  /** A member of a bundle held back at its last good state in Git because of a problem inside the bundle. */
  HeldBack: 'HeldBack',
  /** A KureNode or KureBundle is being deleted but objects still name it: kure.dev/in-use holds it until none does. */
  InUse: 'InUse',
  /** The cluster is being deleted (deletionPolicy is being applied). */
  Deleting: 'Deleting',
  /** This object is fine, but the cluster it belongs to could not be rendered or pushed. */
  ClusterNotReady: 'ClusterNotReady',
  /** The object reaches no KureCluster. */
  NoCluster: 'NoCluster',
  /** Applied=True: the engine reports the bundle's object Ready (Flux) / Synced and Healthy (Argo CD) at a revision holding the bundle's commit. */
  Applied: 'Applied',
  /** Applied=False: the engine applied a revision that does not hold the bundle's commit yet. */
  NotYetApplied: 'NotYetApplied',
  /** Applied=False: the Flux Kustomization / Argo CD Application of the bundle does not exist (yet). */
  EngineObjectNotFound: 'EngineObjectNotFound',
  /** Applied=Unknown: the engine's objects cannot be read (CRD absent, access denied, watch off). */
  EngineUnreadable: 'EngineUnreadable',
  /** Applied=Unknown: Kure has not pushed a commit for the bundle's current generation yet. */
  NotPushed: 'NotPushed',
  /** Applied=Unknown: Kure cannot tell whether the engine's revision holds the bundle's commit (not in its Git cache). */
  AncestryUnknown: 'AncestryUnknown',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
