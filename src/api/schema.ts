// The single source of truth for Kure's resources: TypeBox schemas give both the TypeScript types
// (Static<...>) and the CRDs' openAPIV3Schema (see crd.ts). CEL rules ride along as
// `x-kubernetes-validations` so that the API server rejects what can be rejected statically.
import { Type, type Static, type TSchema, type ObjectOptions } from '@sinclair/typebox';

export const GROUP = 'kure.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** DNS-1123 label: what every name that becomes a path segment or object name must be. */
export const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** Flux/Go duration syntax, as in the upstream Kustomization CRD. */
export const DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
/** A relative path (no leading '/'); RE2 has no lookahead, so '..' segments are a CEL rule (RelativePath). */
export const RELATIVE_PATH = '^[A-Za-z0-9._-][A-Za-z0-9._/-]*$';

const cel = (rules: { rule: string; message: string }[]) => ({ 'x-kubernetes-validations': rules });
const obj = <T extends Record<string, TSchema>>(props: T, options: ObjectOptions = {}) => Type.Object(props, options);
const opt = Type.Optional;
// Descriptions are what `kubectl explain` and docs/reference.md print: say what the field does, its
// default and, where Flux and Argo CD differ, what each engine does with it. Shared schemas are
// functions of their description so that every use explains itself.
/** The same schema with a description of its own (validation unchanged). */
const described = <T extends TSchema>(schema: T, description: string): T => ({ ...schema, description });

/** A path inside a repository or artifact: relative, and no '..' segment can lead out of it. */
const RelativePath = (description: string) =>
  Type.String({
    pattern: RELATIVE_PATH,
    maxLength: 512,
    description,
    ...cel([{ rule: "!self.matches('(^|/)[.][.](/|$)')", message: 'must not contain a .. segment' }]),
  });

export const Name = Type.String({ pattern: DNS1123_LABEL, minLength: 1, maxLength: 63 });
export const Duration = Type.String({ pattern: DURATION });
const name = (description: string) => described(Name, description);
const duration = (description: string) => described(Duration, description);
/** A kind by API group ("" for the core group) and kind, as in an Argo CD AppProject whitelist. */
const GroupKind = (description: string) =>
  obj(
    {
      group: Type.String({
        maxLength: 253,
        pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$',
        description: 'API group, e.g. cert-manager.io; "" for the core group.',
      }),
      kind: Type.String({ minLength: 1, maxLength: 63, pattern: '^[A-Za-z][A-Za-z0-9]*$', description: 'Kind, e.g. ClusterIssuer.' }),
    },
    { description },
  );
/** Reference by name to an object in the same namespace. */
const LocalRef = (description: string, nameDescription: string) => obj({ name: name(nameDescription) }, { description });
const StringMap = (description: string) => Type.Record(Type.String(), Type.String(), { description });
/** Free-form object: kept as given (manifests, Helm values). */
const FreeForm = (description: string) =>
  Type.Unsafe<Record<string, unknown>>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description });

export const Condition = obj(
  {
    type: Type.String({
      description:
        'Type of the condition. Kure sets Ready, and (kstatus polarity: present only while True) Reconciling while a failure is retried ' +
        'and Stalled when retrying cannot help until the input changes. Where Kure can read the engine, KureBundle and KureCluster also get Applied ' +
        "(the engine's own report: True when the bundle's Flux Kustomization is Ready, or its Argo CD Application Synced and Healthy, at a " +
        'revision holding the commit Kure pushed for its current generation).',
    }),
    status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')], {
      description: 'True, False or Unknown.',
    }),
    reason: Type.String({
      description:
        'Why the condition has this status, in CamelCase. Ready=True: Rendered (the tree is in Git). Ready=False: InvalidSpec, NotFound, ' +
        'DependencyCycle, NotAllowed or Duplicate (a problem of this object, listed in message), ClusterNotReady (this object is fine, ' +
        'its cluster was not rendered or pushed), GitError (cluster: fetch, commit or push failed; retried with backoff), ' +
        'SecretNotLabelled (cluster: its secretRef Secret lacks the label kure.dev/credentials=true), Suspended, ' +
        'Deleting, Progressing, or NoCluster (the object reaches no valid KureCluster). writeMode pullRequest: Merged (Ready=True), ' +
        'PullRequestOpen, Conflict, PullRequestClosed, ForgeError. Reconciling=True: ProgressingWithRetry. Applied: True/Applied; ' +
        "False with the engine's own reason (Flux: DependencyNotReady, BuildFailed, HealthCheckFailed, ArtifactFailed, Progressing, ...; " +
        'Argo CD: OutOfSync, Degraded, Progressing, ComparisonError, SyncFailed, ...), NotYetApplied (the engine is at a revision that does ' +
        'not hold the commit yet) or EngineObjectNotFound; Unknown: EngineUnreadable, NotPushed, AncestryUnknown.',
    }),
    message: Type.String({ description: 'Human-readable detail; for problems, `field: message` entries separated by "; ".' }),
    observedGeneration: opt(Type.Integer({ description: 'The metadata.generation this condition was computed for.' })),
    lastTransitionTime: Type.String({ format: 'date-time', description: 'When status last changed (RFC 3339).' }),
  },
  { description: 'A metav1.Condition.' },
);
const CommonStatus = {
  observedGeneration: opt(Type.Integer({ description: 'The metadata.generation the controller last reconciled.' })),
  conditions: opt(
    Type.Array(Condition, {
      description: "The object's conditions; Ready says whether it is rendered and pushed to Git, and why not.",
    }),
  ),
  lastHandledReconcileAt: opt(
    Type.String({
      description: 'The value of the reconcile.fluxcd.io/requestedAt annotation the controller last handled (kure reconcile cluster sets it).',
    }),
  ),
  commit: opt(
    Type.String({
      description:
        "Members: the commit that carries this object's current generation (the first one holding it); with Ready observedGeneration, " +
        'kubectl wait on the object you changed means it is in Git.',
    }),
  ),
};

export const ObjectMeta = obj({
  name: Type.String(),
  namespace: opt(Type.String()),
  uid: opt(Type.String()),
  generation: opt(Type.Integer()),
  resourceVersion: opt(Type.String()),
  labels: opt(Type.Record(Type.String(), Type.String())),
  annotations: opt(Type.Record(Type.String(), Type.String())),
  finalizers: opt(Type.Array(Type.String())),
  deletionTimestamp: opt(Type.String()),
});

// ---------------------------------------------------------------- KureCluster
export const Engine = Type.Union([Type.Literal('flux'), Type.Literal('argocd')]);

export const ClusterSpec = obj(
  {
    gitops: obj(
      {
        engine: described(
          Engine,
          'The GitOps engine that applies the rendered tree: flux (Flux Kustomizations, sources and HelmReleases) or argocd ' +
            '(Argo CD Applications ordered by sync waves).',
        ),
        flux: opt(
          obj(
            {
              namespace: opt(
                name(
                  'Namespace of the Flux controllers. Kure writes every Kustomization, node source, HelmRelease and chart source ' +
                    'into it. Default: flux-system.',
                ),
              ),
              sourceRef: opt(
                obj(
                  {
                    kind: Type.Union([Type.Literal('GitRepository'), Type.Literal('OCIRepository'), Type.Literal('Bucket')], {
                      description: 'Kind of the Flux source. Bootstrap needs GitRepository.',
                    }),
                    name: name(
                      'Name of the Flux source in flux.namespace. With bootstrap, also the name of the GitRepository, the root ' +
                        'Kustomization and the Git Secret that bootstrap writes or expects; no bundle may then have this name.',
                    ),
                  },
                  {
                    description:
                      "The Flux source that holds this repository. Every bundle's Kustomization refers to it, with paths relative " +
                      'to its artifact root (./<repository.path>/nodes/...). Without bootstrap it must already exist and follow ' +
                      'repository.url and branch. Default: GitRepository flux-system.',
                  },
                ),
              ),
            },
            { description: 'Flux settings, used when engine is flux. Defaults apply when omitted.' },
          ),
        ),
        argocd: opt(
          obj(
            {
              namespace: opt(
                name("Namespace of Argo CD. Kure writes the bundles' Applications and the root Application into it. Default: argocd."),
              ),
              project: opt(
                name(
                  'Argo CD AppProject of every Application Kure writes, the root one included; it must allow their ' +
                    'destinations. Default: default.',
                ),
              ),
              destination: opt(
                obj(
                  {
                    server: opt(
                      Type.String({
                        minLength: 1,
                        description: "API server URL of the target cluster, written as each bundle Application's destination.server.",
                      }),
                    ),
                    name: opt(
                      Type.String({
                        minLength: 1,
                        description: "Name of the target cluster as registered in Argo CD, written as destination.name.",
                      }),
                    ),
                  },
                  {
                    description:
                      "Where the bundles' Applications deploy. Set at most one of server and name. The root Application " +
                      'always targets the in-cluster server, where the child Applications live. Default: server ' +
                      'https://kubernetes.default.svc (the cluster Argo CD runs in), also when neither is set.',
                    ...cel([{ rule: '!(has(self.server) && has(self.name))', message: 'set at most one of server and name' }]),
                  },
                ),
              ),
            },
            { description: 'Argo CD settings, used when engine is argocd. Defaults apply when omitted.' },
          ),
        ),
        bootstrap: opt(
          obj(
            {
              enabled: opt(
                Type.Boolean({
                  description:
                    'Also write the engine bootstrap objects under repository.path. Flux: flux-system/gotk-sync.yaml, as flux ' +
                      'bootstrap writes it: a GitRepository for repository.url and branch (its secretRef is <flux.sourceRef.name> ' +
                      'in flux.namespace, which you create, e.g. with flux create secret git) and a root Kustomization of ' +
                      'repository.path. The Flux controllers are not written, and flux.sourceRef.kind must be GitRepository. ' +
                      'Argo CD: bootstrap/<cluster>.yaml, a root app-of-apps Application that syncs <repository.path>/apps ' +
                      'automatically (prune, selfHeal). Default: false.',
                }),
              ),
            },
            { description: "Whether Kure also writes the GitOps engine's own bootstrap objects." },
          ),
        ),
        kubeconfigSecretRef: opt(
          obj(
            {
              name: name('Name of the Secret in the KureCluster namespace.'),
              key: opt(
                Type.String({
                  minLength: 1,
                  maxLength: 253,
                  pattern: '^[-._a-zA-Z0-9]+$',
                  description: 'Key of the Secret that holds the kubeconfig. Default: value, else kubeconfig (the first present).',
                }),
              ),
            },
            {
              description:
                'Where the engine (Flux or Argo CD) runs, when not in the cluster the Kure controller runs in: a Secret in ' +
                'this namespace holding a kubeconfig of that cluster. The controller watches the Kustomizations or ' +
                "Applications there for the bundles' Applied condition (kubeconfig loaded in memory only; it needs get, " +
                'list and watch on them, and inline credentials only: exec, auth-provider and file paths are refused). Like repository.secretRef it must carry the label kure.dev/credentials=true. ' +
                'Default: none (the engine runs in the controller\'s own cluster).',
            },
          ),
        ),
      },
      { description: 'The GitOps engine and how the rendered objects address it.' },
    ),
    repository: obj(
      {
        url: Type.String({
          pattern: '^https?://',
          description:
            'URL of the Git repository that Kure commits the rendered tree to and the engine reads it from (http:// or https:// ' +
            'only). Argo CD Applications and the Flux bootstrap GitRepository use it as their source URL.',
        }),
        branch: opt(
          Type.String({
            minLength: 1,
            pattern: '^[A-Za-z0-9._/-]+$',
            description:
              'Branch that the engine follows. writeMode push: Kure pushes to it (fast-forward only). writeMode ' +
              'pullRequest: the base of Kure\'s pull requests (unless pullRequest.baseBranch says otherwise); Kure never ' +
              'writes it. Default: main.',
          }),
        ),
        createBranch: opt(
          Type.Boolean({
            description:
              'When branch does not exist in a repository that has other branches: false reports Ready=False, reason ' +
              'GitError (branch-not-found) and writes nothing; true creates it from the head of the default branch ' +
              '(the remote HEAD), never as an orphan. An empty repository (no branch at all) gets the branch with ' +
              "Kure's first commit either way. Default: false.",
          }),
        ),
        signCommits: opt(
          Type.Boolean({
            description:
              'Sign every commit Kure makes with OpenPGP: the armored private key is the key signingKey of the ' +
              'secretRef Secret (its passphrase, if any, signingKeyPassphrase). Forges show the commits as verified ' +
              "when the public key is registered for the author's email (repository.author.email). Default: false.",
          }),
        ),
        writeMode: opt(
          Type.Union([Type.Literal('push'), Type.Literal('pullRequest')], {
            description:
              'How Kure writes. push: commits straight onto branch. pullRequest: for branches nobody may push to ' +
              '(protected): Kure keeps one branch of its own per cluster, rebuilt from the base branch on every ' +
              'change (the only branch it force-pushes), and opens or updates one pull request for it; see ' +
              'pullRequest and docs/protected-branches.md. Default: push.',
          }),
        ),
        pullRequest: opt(
          obj(
            {
              forge: Type.Union([Type.Literal('gitea'), Type.Literal('github'), Type.Literal('gitlab')], {
                description: 'Which forge hosts the repository (its API opens the pull request): gitea, github or gitlab.',
              }),
              apiUrl: opt(
                Type.String({
                  pattern: '^https?://',
                  description:
                    "The forge's API root. Default: derived from url (gitea: <origin>/api/v1, github: https://api.github.com " +
                    'or <origin>/api/v3, gitlab: <origin>/api/v4).',
                }),
              ),
              baseBranch: opt(
                Type.String({
                  minLength: 1,
                  pattern: '^[A-Za-z0-9._/-]+$',
                  description: 'Branch the pull requests merge into. Default: branch.',
                }),
              ),
              branchPrefix: opt(
                Type.String({
                  minLength: 1,
                  maxLength: 100,
                  pattern: '^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$',
                  description: "Kure's branch is <branchPrefix>/<namespace>/<cluster name>. Default: kure.",
                }),
              ),
              labels: opt(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20, description: 'Labels put on the pull request (they must exist on the forge).' })),
              reviewers: opt(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20, description: 'Users asked to review the pull request.' })),
              autoMerge: opt(
                obj(
                  {
                    method: opt(
                      Type.Union([Type.Literal('merge'), Type.Literal('squash'), Type.Literal('rebase')], {
                        description: 'How the pull request is merged. Default: merge.',
                      }),
                    ),
                  },
                  {
                    description:
                      'Merge the pull request once the forge reports it mergeable: required checks passed and required ' +
                      'approvals given. Absent: a person merges it.',
                  },
                ),
              ),
            },
            { description: 'Options of writeMode pullRequest (required with it).' },
          ),
        ),
        path: opt(
          RelativePath(
            'Directory of the repository that Kure owns. The whole tree is written there, and files outside it are never ' +
              'modified. Relative, below the root, no .. segment, not into .git, and not overlapping the path of another ' +
              'KureCluster on the same repository and branch. Default: clusters/<metadata.name>.',
          ),
        ),
        secretRef: opt(
          LocalRef(
            'Secret in this namespace with the credentials Kure pushes with: keys username and password, or token, or (a GitHub App) githubAppID, githubAppInstallationID and githubAppPrivateKey. It must ' +
              'carry the label kure.dev/credentials=true: the controller lists and watches only Secrets so labelled, and an ' +
              'unlabelled one is reported as Ready=False, reason SecretNotLabelled. Only the controller reads it (kure render ' +
              'does not push). It is not reused by Flux bootstrap. Default: none (anonymous).',
            'Name of the Secret in the KureCluster namespace.',
          ),
        ),
        author: opt(
          obj(
            {
              name: Type.String({ minLength: 1, description: 'Author and committer name.' }),
              email: Type.String({ minLength: 1, description: 'Author and committer email.' }),
            },
            { description: "Author and committer of Kure's commits. Default: Kure <kure@localhost>." },
          ),
        ),
      },
      {
        description: 'The Git repository, branch and directory that the cluster tree is rendered into.',
        ...cel([
          { rule: "!has(self.writeMode) || self.writeMode != 'pullRequest' || has(self.pullRequest)", message: 'writeMode pullRequest needs pullRequest (at least pullRequest.forge)' },
          { rule: '!has(self.signCommits) || !self.signCommits || has(self.secretRef)', message: 'signCommits needs secretRef (the Secret holds signingKey)' },
        ]),
      },
    ),
    deletionPolicy: opt(
      Type.Union([Type.Literal('Retain'), Type.Literal('Delete')], {
        description:
          'What the controller does with repository.path when this KureCluster is deleted (it holds the finalizer ' +
          'kure.dev/finalizer until done). Retain: leave Git alone. Delete: remove repository.path from the branch in one ' +
          'commit; a Git failure keeps the finalizer and retries. A cluster deleted while suspended is released without ' +
          'touching Git. Default: Retain.',
      }),
    ),
    suspend: opt(
      Type.Boolean({
        description:
          'Stop the controller from rendering and pushing this cluster: it and its members report Ready=False, reason ' +
          'Suspended. kure render ignores it. Default: false.',
      }),
    ),
  },
  { description: 'Desired state of the cluster.' },
);

export const ClusterStatus = obj(
  {
    ...CommonStatus,
    lastCommit: opt(
      obj(
        {
          sha: Type.String({ description: 'Commit SHA.' }),
          time: Type.String({ description: 'Commit time (RFC 3339).' }),
          message: Type.String({ description: 'First line of the commit message.' }),
        },
        { description: 'The last commit Kure pushed for this cluster.' },
      ),
    ),
    applied: opt(
      Type.String({
        description:
          'Where Kure can read the engine: how many of the cluster\'s bundles are Applied, `N/M at <lastCommit sha>` (the Applied condition has the detail).',
      }),
    ),
    pullRequest: opt(
      obj(
        {
          number: opt(Type.Integer({ description: 'The pull request number on the forge.' })),
          url: opt(Type.String({ description: 'Its web address.' })),
          state: opt(Type.String({ description: "The forge's state: open, merged or closed." })),
          phase: Type.String({ description: 'Merged, PullRequestOpen, Conflict or Closed (docs/protected-branches.md).' }),
          branch: Type.String({ description: "Kure's own branch the pull request merges from." }),
        },
        { description: 'writeMode pullRequest: the pull request that carries the cluster tree to the base branch.' },
      ),
    ),
  },
  { description: 'Observed state, written by the controller.' },
);

// ---------------------------------------------------------------- KureNode
export const SourceKind = Type.Union([
  Type.Literal('GitRepository'),
  Type.Literal('OCIRepository'),
  Type.Literal('Bucket'),
]);

const revision = (description: string) => opt(Type.String({ minLength: 1, description }));

export const NodeSource = obj(
  {
    kind: described(SourceKind, 'Kind of source, as in Flux: GitRepository, OCIRepository or Bucket. Argo CD cannot use a Bucket.'),
    url: Type.String({
      minLength: 1,
      description:
        'Where the content lives. GitRepository: http://, https:// or ssh://. OCIRepository: oci://. Bucket: s3://<bucket>[/<prefix>], ' +
        'gs://<bucket>[/<prefix>], https://<account>.blob.core.windows.net/<container>[/<prefix>], or ' +
        "http(s)://<host[:port]>/<bucket>[/<prefix>] for any S3 API (e.g. MinIO); Kure derives the Flux Bucket's provider, " +
        'endpoint, bucketName and prefix from it.',
    }),
    ref: opt(
      obj(
        {
          branch: revision('Git branch to follow. GitRepository only. Flux: ref.branch; Argo CD: targetRevision.'),
          tag: revision('Git or OCI tag. Flux: ref.tag; Argo CD: targetRevision.'),
          semver: revision('Semver range over tags, e.g. ">=1.0.0". Flux: ref.semver; Argo CD: targetRevision.'),
          commit: revision(
            'Git commit SHA, or for an OCIRepository a digest (sha256:...). Flux: ref.commit (ref.digest for OCI); Argo CD: ' +
              'targetRevision.',
          ),
        },
        {
          description:
            "Which revision to deliver: at most one of branch, tag, semver and commit. A Bucket takes no ref; an OCIRepository " +
            "takes no branch. Default: the engine's (Flux: Git master, OCI latest; Argo CD: HEAD).",
          ...cel([
            {
              rule: '[has(self.branch), has(self.tag), has(self.semver), has(self.commit)].filter(x, x).size() <= 1',
              message: 'set at most one of branch, tag, semver, commit',
            },
          ]),
        },
      ),
    ),
    interval: opt(
      duration(
        'How often Flux checks the source for a new revision (Flux duration, e.g. 5m). Argo CD: not mapped (Argo CD ' +
          'polls repositories globally). Default: 10m.',
      ),
    ),
    secretRef: opt(
      LocalRef(
        "Flux: the source's secretRef, a Secret of that name in flux.namespace, in Flux's format for the kind. Argo CD: not " +
          'used; Argo CD takes credentials from its repository Secrets in argocd.namespace.',
        'Name of the Secret in flux.namespace.',
      ),
    ),
  },
  {
    description:
      'Content from outside Kure. The bundles below this node (down to a node with a source of its own) each name a ' +
      'directory inside it in spec.path and carry no applications. Flux: written as a <kind> named after the node in ' +
      "flux.namespace (flux/sources/<node>.yaml), which those bundles' Kustomizations refer to. Argo CD: those bundles' " +
      'Applications take its url, revision and their path directly; a Bucket is rejected.',
    ...cel([
      { rule: "self.kind != 'OCIRepository' || self.url.startsWith('oci://')", message: 'an OCIRepository url must start with oci://' },
      {
        rule: "self.kind != 'GitRepository' || self.url.startsWith('https://') || self.url.startsWith('http://') || self.url.startsWith('ssh://')",
        message: 'a GitRepository url must be http(s):// or ssh://',
      },
      { rule: "self.kind != 'Bucket' || !has(self.ref)", message: 'a Bucket source takes no ref' },
      {
        rule: "self.kind != 'OCIRepository' || !has(self.ref) || !has(self.ref.branch)",
        message: 'an OCIRepository ref takes tag, semver or digest-like commit, not branch',
      },
    ]),
  },
);

export const NodeSpec = obj(
  {
    clusterRef: opt(
      LocalRef(
        'The KureCluster this top-level node belongs to. Set exactly one of clusterRef and parentRef.',
        'Name of a KureCluster in the same namespace.',
      ),
    ),
    parentRef: opt(
      LocalRef(
        'The parent node of this child node; parent cycles are rejected. Set exactly one of clusterRef and parentRef.',
        'Name of a KureNode in the same namespace.',
      ),
    ),
    source: opt(NodeSource),
  },
  {
    description: 'Desired state of the node.',
    ...cel([{ rule: 'has(self.clusterRef) != has(self.parentRef)', message: 'set exactly one of clusterRef and parentRef' }]),
  },
);

// ---------------------------------------------------------------- KureBundle
export const BundleSpec = obj(
  {
    nodeRef: LocalRef(
      "The KureNode this bundle belongs to. The node's place in the tree gives the bundle directory, nodes/<node>/.../<bundle>/.",
      'Name of a KureNode in the same namespace.',
    ),
    dependsOn: opt(
      Type.Array(LocalRef('A bundle this one depends on.', 'Name of a KureBundle in the same namespace and cluster.'), {
        description:
          'Other bundles of the same cluster to apply before this one. Flux: the Kustomization dependsOn; it is applied only ' +
          'once those are Ready, and a bundle that others depend on waits for health by default (see wait). Argo CD: the ' +
          'sync wave, argocd.argoproj.io/sync-wave = 1 + the highest wave of its dependencies (1 without); waves order only ' +
          "the root app of apps' syncs, by health, and gate nothing unless argocd-cm has the Application health check (see " +
          'src/render/README.md). Self-dependencies, cycles and bundles of other clusters are rejected.',
      }),
    ),
    interval: opt(
      duration(
        'How often the engine reconciles the bundle: a Flux duration such as 30s, 10m or 1h30m, between 1s and 24h. Flux: ' +
          'the Kustomization interval, also the interval of the HelmReleases and chart sources of its helm applications. ' +
          'Argo CD: not mapped (Argo CD polls repositories globally, timeout.reconciliation). Default: 10m.',
      ),
    ),
    retryInterval: opt(
      duration(
        'How soon a failed reconciliation is retried (Flux duration, 1s to 24h). Flux: the Kustomization retryInterval. ' +
          'Argo CD: retry backoff with duration and maxDuration set to this value, retried for ever on the latest revision. ' +
          'Default: Flux retries at interval; Argo CD at 5s, doubling up to 3m.',
      ),
    ),
    timeout: opt(
      duration(
        'Flux: the Kustomization timeout for applying and health-checking (Flux duration, 1s to 24h). Argo CD: not ' +
          'mapped. Default: Flux uses interval.',
      ),
    ),
    prune: opt(
      Type.Boolean({
        description:
          'Delete objects that were removed from the bundle. Flux: the Kustomization prune. Argo CD: syncPolicy.automated.prune ' +
          '(selfHeal is always on). Default: true.',
      }),
    ),
    wait: opt(
      Type.Boolean({
        description:
          'Flux: the Kustomization wait, so the bundle is Ready only when everything it applied is healthy. Argo CD: not ' +
          'mapped (Argo CD always waits for health within a wave). Default: true when another bundle depends on this one ' +
          '(Flux checks the health of a dependency only when it waits), else false.',
      }),
    ),
    targetNamespace: opt(
      name(
        "Namespace for the bundle's objects. Flux: the Kustomization targetNamespace, which also moves the HelmReleases and " +
          'chart sources of helm applications; the namespace must exist. Argo CD: destination.namespace, with ' +
          'CreateNamespace=true. Workload objects carry no namespace, so without it they go where the engine puts ' +
          'namespace-less objects (Flux: default).',
      ),
    ),
    commonMetadata: opt(
      obj(
        {
          labels: opt(StringMap('Labels added to every object of the bundle.')),
          annotations: opt(StringMap('Annotations added to every object of the bundle.')),
        },
        {
          description:
            'Labels and annotations added to the metadata of every object of the bundle (not to selectors or pod templates). ' +
            "Flux: the Kustomization commonMetadata. Argo CD: a labels and annotations transformer in the bundle's " +
            "kustomization.yaml with the same effect; for a bundle of an external source, source.kustomize commonLabels " +
            '(labelWithoutSelector) and commonAnnotations, which also reach pod templates and need a kustomization in that ' +
            "directory. Neither engine applies it to the objects of a Helm chart.",
        },
      ),
    ),
    suspend: opt(
      Type.Boolean({
        description:
          'Stop the engine from reconciling this bundle; Kure still renders and pushes it. Flux: the Kustomization suspend. ' +
          'Argo CD: no automated sync policy, so only manual syncs. Default: false.',
      }),
    ),
    allowedNamespaces: opt(
      Type.Array(name('A namespace whose KureApplications may attach.'), {
        description:
          "Other namespaces whose KureApplications may attach to this bundle through spec.bundleRef.namespace (the bundle's " +
          'own namespace always may). An application from any other namespace gets Ready=False, reason NotAllowed, and is ' +
          'left out (kure render rejects the input). An admitted application is a tenant: it may place only namespaced ' +
          'objects of known kinds, only in the granted namespace (targetNamespace, else its own), helm only with ' +
          'serviceAccountName (see tenancy for the exceptions); any problem of its own leaves it out without blocking the ' +
          'cluster. Argo CD: the bundle gets an AppProject of its own, named after it, limited to the granted ' +
          'namespaces and to namespaced kinds. A tenancy boundary. Default: none, no other namespace may attach.',
      }),
    ),
    path: opt(
      RelativePath(
        'Only under a node with a source, and required there: the directory inside that source to apply (relative, below ' +
          'its root, no .. segment). Flux: the Kustomization path ./<path>. Argo CD: the Application source path.',
      ),
    ),
    serviceAccountName: opt(
      name(
        'Service account the engine impersonates when it applies this bundle, so that RBAC bounds what its content can do ' +
          '(Flux multi-tenancy lockdown). Flux: the Kustomization serviceAccountName (a ServiceAccount in flux.namespace) and ' +
          "the serviceAccountName of the bundle's HelmReleases (in the HelmRelease namespace: flux.namespace, or " +
          'targetNamespace when set). Argo CD: for a bundle that admits other namespaces, destinationServiceAccounts of its ' +
          'AppProject (in the granted namespace; needs sync impersonation enabled in argocd-cm). Required before an ' +
          'application from another namespace may use helm. Default: none, the engine applies with its own privileges.',
      ),
    ),
    decryption: opt(
      obj(
        {
          provider: Type.Literal('sops', { description: 'Decryption provider: sops (the only one Flux supports).' }),
          secretRef: LocalRef(
            'Secret in flux.namespace holding the decryption keys (age, GPG), as Flux expects them.',
            'Name of the Secret in flux.namespace.',
          ),
        },
        {
          description:
            'Decrypt SOPS-encrypted objects of this bundle when applying them. Flux: the Kustomization decryption. Argo CD: ' +
            'cannot decrypt SOPS, so the field is rejected there. Without it, an object with sops metadata is refused ' +
            '(NotAllowed), and a Secret with data or stringData is always refused unless SOPS-encrypted.',
        },
      ),
    ),
    tenancy: opt(
      obj(
        {
          allowedKinds: opt(
            Type.Array(GroupKind('A kind tenants may use, in the namespace the bundle grants them.'), {
              description:
                'Kinds an application from another namespace may use that Kure does not admit by itself: custom kinds ' +
                'Kure cannot prove namespaced (its table knows the built-in kinds of the target Kubernetes, Flux and ' +
                'Argo CD), and Flux or Argo CD kinds that apply further content (Kustomization, HelmRelease, ' +
                'Application, ApplicationSet, AppProject). Objects of these kinds are still held to the granted ' +
                'namespace. Default: none.',
            }),
          ),
          allowedClusterScopedKinds: opt(
            Type.Array(GroupKind('A cluster-scoped kind tenants may create.'), {
              description:
                'Cluster-scoped kinds an application from another namespace may create (for example cert-manager.io ' +
                'ClusterIssuer). Each one lets a tenant reach beyond its namespace: list only kinds a tenant may own ' +
                'cluster-wide. Argo CD: the clusterResourceWhitelist of the bundle AppProject. Default: none.',
            }),
          ),
        },
        {
          description:
            'Doors the platform opens for applications from other namespaces (see allowedNamespaces). Such an ' +
            'application may otherwise place only namespaced objects of known kinds, only in the granted namespace ' +
            '(targetNamespace, else its own), and may use helm only with serviceAccountName. Needs allowedNamespaces.',
        },
      ),
    ),
    patches: opt(
      Type.Array(
        obj(
          {
            patch: Type.String({
              minLength: 1,
              description:
                'The patch, as YAML or JSON text: a strategic merge patch (an object) or a JSON 6902 patch (a list of ' +
                'operations).',
            }),
            target: opt(
              obj(
                {
                  group: opt(Type.String({ description: 'API group of the objects to patch ("" for the core group).' })),
                  version: opt(Type.String({ description: 'API version of the objects to patch.' })),
                  kind: opt(Type.String({ description: 'Kind of the objects to patch.' })),
                  name: opt(Type.String({ description: 'Name of the objects to patch (a regular expression in kustomize).' })),
                  namespace: opt(Type.String({ description: 'Namespace of the objects to patch.' })),
                  labelSelector: opt(Type.String({ description: 'Label selector the objects to patch match.' })),
                  annotationSelector: opt(Type.String({ description: 'Annotation selector the objects to patch match.' })),
                },
                {
                  description:
                    'The objects the patch applies to (kustomize patch target). Default: a strategic merge patch applies ' +
                    'to the object its apiVersion, kind and metadata.name name; a JSON 6902 patch needs a target.',
                },
              ),
            ),
          },
          { description: 'A kustomize patch.' },
        ),
        {
          maxItems: 64,
          description:
            "Kustomize patches applied to the bundle's objects after they are built. Flux: the Kustomization patches. Argo " +
            "CD: patches of the bundle's kustomization.yaml (for a bundle of a node source, source.kustomize.patches, which " +
            'needs a kustomization in that directory). Neither engine patches the objects of a Helm chart (on Flux they ' +
            'reach the HelmRelease). On a bundle that admits other namespaces a patch may not change metadata.namespace, ' +
            'kind or apiVersion, since it also reaches the objects of those applications.',
        },
      ),
    ),
    postBuild: opt(
      obj(
        {
          substitute: opt(
            Type.Record(Type.String(), Type.String(), {
              description:
                'Variables and their values: ${name} in the built objects becomes the value. Names are letters, digits ' +
                'and _, not starting with a digit. Values beat those of substituteFrom.',
            }),
          ),
          substituteFrom: opt(
            Type.Array(
              obj(
                {
                  kind: Type.Union([Type.Literal('ConfigMap'), Type.Literal('Secret')], {
                    description: 'ConfigMap or Secret.',
                  }),
                  name: Type.String({
                    minLength: 1,
                    maxLength: 253,
                    pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
                    description: 'Name of the ConfigMap or Secret in flux.namespace (the namespace of the Kustomization).',
                  }),
                  optional: opt(
                    Type.Boolean({
                      description: 'Go on when the object does not exist (its variables are then unset). Default: false.',
                    }),
                  ),
                },
                { description: 'A ConfigMap or Secret whose data keys are variables.' },
              ),
              {
                maxItems: 32,
                description:
                  'ConfigMaps and Secrets in flux.namespace whose keys are variables; a later entry beats an earlier one.',
              },
            ),
          ),
        },
        {
          description:
            "Flux variable substitution over the bundle's built objects: ${var} (${var:=default} with a default, $${var} " +
            'for a literal; an undefined variable becomes empty). An object opts out with the annotation or label ' +
            'kustomize.toolkit.fluxcd.io/substitute: disabled. Flux: the Kustomization postBuild. Argo CD: no ' +
            'counterpart, rejected. On a bundle that admits other namespaces, an application from another namespace ' +
            'may not contain ${ (substitution would copy values of flux.namespace into its objects).',
        },
      ),
    ),
    healthChecks: opt(
      Type.Array(
        obj(
          {
            apiVersion: Type.String({ minLength: 1, description: 'API version of the object, e.g. apps/v1.' }),
            kind: Type.String({ minLength: 1, description: 'Kind of the object, e.g. Deployment.' }),
            name: Type.String({ minLength: 1, description: 'Name of the object.' }),
            namespace: opt(
              Type.String({
                minLength: 1,
                description:
                  "Namespace of the object. Default: the bundle's targetNamespace for a namespaced (or unknown) kind, " +
                  'else flux.namespace, as in Flux.',
              }),
            ),
          },
          { description: 'An object whose health the bundle waits for.' },
        ),
        {
          maxItems: 64,
          description:
            'Objects the bundle is Ready only once they are healthy (kstatus), also objects it does not apply. Flux: the ' +
            'Kustomization healthChecks; ignored by Flux when wait is true (wait checks everything the bundle applies). ' +
            'Argo CD: not mapped (Argo CD checks the health of every object of the Application).',
        },
      ),
    ),
    healthCheckExprs: opt(
      Type.Array(
        obj(
          {
            apiVersion: Type.String({ minLength: 1, description: 'API version of the kind the expressions are for, e.g. cert-manager.io/v1.' }),
            kind: Type.String({ minLength: 1, description: 'The kind the expressions are for, e.g. Certificate.' }),
            current: Type.String({
              minLength: 1,
              description: 'CEL expression over the object (self) that is true when it is healthy.',
            }),
            inProgress: opt(Type.String({ minLength: 1, description: 'CEL expression that is true while it is progressing.' })),
            failed: opt(Type.String({ minLength: 1, description: 'CEL expression that is true when it has failed.' })),
          },
          { description: 'How to tell the health of objects of one custom kind.' },
        ),
        {
          maxItems: 32,
          description:
            'Health of custom kinds that kstatus cannot read, as CEL expressions. Flux: the Kustomization healthCheckExprs ' +
            '(used with wait or healthChecks). Argo CD: not mapped (Argo CD takes custom health checks from argocd-cm, ' +
            'resource.customizations.health.<group>_<kind>, in Lua).',
        },
      ),
    ),
    components: opt(
      Type.Array(
        Type.String({
          minLength: 1,
          maxLength: 512,
          pattern: '^[^/]',
          description:
            'A kustomize Component directory, relative to the bundle path inside the node source (e.g. ' +
            '../../components/monitoring); the engine keeps it inside the source.',
        }),
        {
          maxItems: 32,
          description:
            'Kustomize Components added to the build of the directory, relative to spec.path. Only for a bundle of a node ' +
            'source (spec.path): Kure writes the directories of other bundles itself. Flux: the Kustomization components. ' +
            'Argo CD: source.kustomize.components (the directory must be a kustomization).',
        },
      ),
    ),
    force: opt(
      Type.Boolean({
        description:
          'Recreate an object when a change to an immutable field cannot be applied (e.g. a Job template or a Service ' +
          "clusterIP). Flux: the Kustomization force. Argo CD: no counterpart, rejected (its Replace=true and Force=true " +
          'sync options recreate objects on every sync; set them in argocd.syncOptions if that is wanted). Default: false.',
      }),
    ),
    argocd: opt(
      obj(
        {
          syncOptions: opt(
            Type.Array(
              Type.String({
                pattern: '^[A-Za-z]+=[A-Za-z]+$',
                description: 'A sync option, Name=value, e.g. ServerSideApply=true.',
              }),
              {
                maxItems: 32,
                description:
                  'Argo CD sync options of the Application, e.g. ServerSideApply=true (objects over 256 KiB, large CRDs), ' +
                  'SkipDryRunOnMissingResource=true, PruneLast=true, RespectIgnoreDifferences=true, ' +
                  'ApplyOutOfSyncOnly=true. CreateNamespace=true is added with targetNamespace. Flux needs none of them: ' +
                  'it always applies server-side.',
              },
            ),
          ),
          ignoreDifferences: opt(
            Type.Array(
              obj(
                {
                  group: opt(Type.String({ description: 'API group of the objects ("" for the core group).' })),
                  kind: Type.String({ minLength: 1, description: 'Kind of the objects.' }),
                  name: opt(Type.String({ minLength: 1, description: 'Name of the object. Default: every object of the kind.' })),
                  namespace: opt(Type.String({ minLength: 1, description: 'Namespace of the object. Default: any.' })),
                  jsonPointers: opt(
                    Type.Array(Type.String({ description: 'A JSON pointer, e.g. /spec/replicas.' }), {
                      description: 'Fields to ignore, as JSON pointers.',
                    }),
                  ),
                  jqPathExpressions: opt(
                    Type.Array(Type.String({ description: 'A jq path expression.' }), { description: 'Fields to ignore, as jq path expressions.' }),
                  ),
                  managedFieldsManagers: opt(
                    Type.Array(Type.String({ description: 'A field manager, e.g. kube-controller-manager.' }), {
                      description: 'Ignore the fields these managers own.',
                    }),
                  ),
                },
                { description: 'Fields of some objects that do not count as drift.' },
              ),
              {
                maxItems: 64,
                description:
                  'Argo CD ignoreDifferences of the Application: fields that others change (an HPA, a webhook, a ' +
                  'controller) and that must not make it OutOfSync. With RespectIgnoreDifferences=true a sync leaves them ' +
                  'alone too.',
              },
            ),
          ),
          retry: opt(
            obj(
              {
                limit: opt(
                  Type.Integer({
                    minimum: -1,
                    description: 'How many times a failed sync is retried; -1 for ever. Default: -1.',
                  }),
                ),
                backoff: opt(
                  obj(
                    {
                      duration: opt(duration('First wait before a retry (duration, e.g. 5s). Default: retryInterval, else 5s.')),
                      factor: opt(Type.Integer({ minimum: 1, description: 'Factor the wait grows by after each retry. Default: 2.' })),
                      maxDuration: opt(duration('Longest wait between retries (duration). Default: retryInterval, else 3m.')),
                    },
                    { description: 'Wait between retries.' },
                  ),
                ),
              },
              {
                description:
                  'Retry of failed syncs (syncPolicy.retry), field by field over what retryInterval gives; Kure always sets ' +
                  'refresh: true, so a retry picks up the latest revision.',
              },
            ),
          ),
        },
        {
          description:
            'Argo CD settings of the bundle Application that Flux has no use for; rejected on a Flux cluster. ' +
            'The Flux counterparts: Flux always applies server-side (ServerSideApply), does not create namespaces ' +
            '(CreateNamespace), and retries at retryInterval for ever (retry).',
        },
      ),
    ),
  },
  {
    description: 'Desired state of the bundle.',
    ...cel([{ rule: '!has(self.tenancy) || (has(self.allowedNamespaces) && size(self.allowedNamespaces) > 0)', message: 'tenancy applies to applications from other namespaces: set allowedNamespaces' }]),
  },
);

// ---------------------------------------------------------------- KureApplication
export const HelmSpec = obj(
  {
    chart: Type.String({
      minLength: 1,
      pattern: '^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$',
      description: 'Name of the chart in the repository.',
    }),
    version: opt(
      Type.String({
        minLength: 1,
        description:
          'Chart version or semver range. Flux, https repository: chart.spec.version. Flux, oci:// repository: an exact ' +
          'version (1.2.3, v1.2.3-rc.1) is the OCIRepository ref.tag, anything else ref.semver. Argo CD: targetRevision; ' +
          'pin exact versions for OCI charts. Default: the latest (Flux https: no version; Flux oci: semver "*"; Argo CD: "*").',
      }),
    ),
    repository: obj(
      {
        url: Type.String({
          pattern: '^(https|oci)://',
          description:
            'https:// Helm repository, or oci:// registry path under which the chart is <url>/<chart>. Flux: a HelmRepository ' +
            'or an OCIRepository. Argo CD: the repoURL (oci:// without the scheme; register it with enableOCI: true).',
        }),
      },
      { description: 'Where the chart comes from.' },
    ),
    releaseName: opt(
      name('Helm release name, also the name of the Flux HelmRelease and its chart source. Default: the application name.'),
    ),
    namespace: opt(
      name(
        'Namespace the release installs into. Flux: the HelmRelease targetNamespace, with install.createNamespace. Argo CD: ' +
          "helm.namespace; Argo CD creates only the bundle's targetNamespace, so another namespace must already exist. " +
          "Default: the HelmRelease namespace (Flux: flux.namespace or the bundle's targetNamespace), or the Application " +
          'destination namespace (Argo CD).',
      ),
    ),
    values: opt(FreeForm('Helm values, kept as given. Flux: the HelmRelease values. Argo CD: helm.valuesObject.')),
    valuesFrom: opt(
      Type.Array(
        obj(
          {
            kind: Type.Union([Type.Literal('ConfigMap'), Type.Literal('Secret')], { description: 'ConfigMap or Secret.' }),
            name: Type.String({
              minLength: 1,
              maxLength: 253,
              pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
              description:
                "Name of the ConfigMap or Secret, in the HelmRelease namespace: flux.namespace, or the bundle's " +
                'targetNamespace when set.',
            }),
            valuesKey: opt(
              Type.String({
                minLength: 1,
                maxLength: 253,
                pattern: '^[\\-._a-zA-Z0-9]+$',
                description: 'The data key holding the values. Default: values.yaml.',
              }),
            ),
            targetPath: opt(
              Type.String({
                minLength: 1,
                maxLength: 250,
                pattern: '^([a-zA-Z0-9_\\-.\\\\\\/]|\\[[0-9]{1,5}\\])+$',
                description:
                  'Put the (single) value of valuesKey at this path of the values, e.g. auth.password, instead of ' +
                  'merging a YAML document. Default: merge the document at the root.',
              }),
            ),
            optional: opt(Type.Boolean({ description: 'Go on when the object or key does not exist. Default: false.' })),
          },
          { description: 'A ConfigMap or Secret that holds values.' },
        ),
        {
          maxItems: 32,
          description:
            'Values from ConfigMaps and Secrets of the cluster, merged in order, with values last, so that secret values ' +
            'need not be in Git. Flux: the HelmRelease valuesFrom (read by helm-controller in the HelmRelease namespace). ' +
            'Argo CD: no counterpart (it reads values only from the repository), rejected. An application from another ' +
            "namespace may use it only when the bundle has targetNamespace (the HelmRelease then lives in the granted namespace).",
        },
      ),
    ),
    install: opt(
      obj(
        {
          remediation: opt(
            obj(
              {
                retries: opt(
                  Type.Integer({
                    minimum: -1,
                    description: 'How many times a failed install is retried (uninstalling in between); -1 for ever. Default: 0.',
                  }),
                ),
                remediateLastFailure: opt(
                  Type.Boolean({ description: 'Also uninstall after the last failed retry. Default: false (true when retries > 0, as in Flux).' }),
                ),
              },
              { description: 'What Flux does when an install fails.' },
            ),
          ),
        },
        {
          description:
            'Flux: the HelmRelease install settings (createNamespace is set by helm.namespace). Argo CD: not mapped (Argo CD ' +
            "templates the chart and applies it; the Application's retry applies).",
        },
      ),
    ),
    upgrade: opt(
      obj(
        {
          remediation: opt(
            obj(
              {
                retries: opt(
                  Type.Integer({
                    minimum: -1,
                    description: 'How many times a failed upgrade is retried (remediating in between); -1 for ever. Default: 0.',
                  }),
                ),
                remediateLastFailure: opt(
                  Type.Boolean({ description: 'Also remediate after the last failed retry. Default: false (true when retries > 0, as in Flux).' }),
                ),
                strategy: opt(
                  Type.Union([Type.Literal('rollback'), Type.Literal('uninstall')], {
                    description: 'How a failed upgrade is remediated: rollback to the last release, or uninstall. Default: rollback.',
                  }),
                ),
              },
              { description: 'What Flux does when an upgrade fails.' },
            ),
          ),
        },
        { description: 'Flux: the HelmRelease upgrade settings. Argo CD: not mapped (no Helm releases to roll back).' },
      ),
    ),
    dependsOn: opt(
      Type.Array(
        LocalRef(
          'A helm application this one is installed after.',
          "Name of a KureApplication with helm in the same bundle and in this application's namespace.",
        ),
        {
          maxItems: 32,
          description:
            "Other helm applications of the same bundle to install first (e.g. the chart of an operator before a chart of " +
            'its custom resources). Flux: the HelmRelease dependsOn, installed only once those are Ready. Argo CD: not ' +
            'mapped (the Helm sources of one Application sync together; put them in bundles with dependsOn for ordering). ' +
            'Between bundles use the bundle dependsOn. Self-dependencies, cycles and names of other bundles are rejected.',
        },
      ),
    ),
  },
  {
    description:
      'A Helm chart. Flux: a HelmRelease and its chart source (HelmRepository, or OCIRepository for oci://), both named ' +
      "after releaseName in flux.namespace and in the bundle's directory, so dependsOn and targetNamespace apply to them. " +
      "Argo CD: no files; a Helm source of the bundle's Application.",
  },
);

const EnvVar = obj(
  {
    name: Type.String({ minLength: 1, description: 'Name of the environment variable.' }),
    value: opt(Type.String({ description: 'Value of the environment variable. Default: empty.' })),
    valueFrom: opt(
      obj(
        {
          secretKeyRef: obj(
            {
              name: name('Name of the Secret, in the namespace the workload runs in.'),
              key: Type.String({ minLength: 1, description: 'Key in the Secret.' }),
              optional: opt(Type.Boolean({ description: 'Start the container even when the Secret or key is missing. Default: false.' })),
            },
            { description: "A key of a Secret: the value stays in the cluster, only the reference is committed." },
          ),
        },
        { description: 'Where the value comes from instead of value, so that no secret needs to be a literal in Git.' },
      ),
    ),
  },
  {
    description: 'An environment variable: value, or valueFrom.secretKeyRef.',
    ...cel([{ rule: '!(has(self.value) && has(self.valueFrom))', message: 'set at most one of value and valueFrom' }]),
  },
);
const Quantities = (description: string) =>
  Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), { description });
export const WorkloadSpec = obj(
  {
    image: Type.String({ minLength: 1, description: 'Container image, e.g. ghcr.io/acme/frontend:1.4.2.' }),
    replicas: opt(Type.Integer({ minimum: 0, description: 'Number of Deployment replicas. Default: 1.' })),
    ports: opt(
      Type.Array(
        obj(
          {
            name: opt(name('Port name. The Service targets the first port by its name when it has one.')),
            containerPort: Type.Integer({ minimum: 1, maximum: 65535, description: 'Port number the container listens on.' }),
          },
          { description: 'A container port.' },
        ),
        {
          maxItems: 32,
          description:
            'Container ports (names unique). With ports, a Service is created; it exposes only the first port.',
        },
      ),
    ),
    env: opt(Type.Array(EnvVar, { description: 'Environment variables of the container.' })),
    resources: opt(
      obj(
        {
          requests: opt(Quantities('Resource requests of the container, e.g. cpu: 100m, memory: 128Mi.')),
          limits: opt(Quantities('Resource limits of the container.')),
        },
        { description: 'Compute resources of the container.' },
      ),
    ),
    service: opt(
      obj(
        {
          port: Type.Integer({
            minimum: 1,
            maximum: 65535,
            description:
              'Port the Service listens on. It targets the first container port (by name when it has one), or this same ' +
              'port when there are no ports.',
          }),
        },
        {
          description:
            'A Service named after the application. Without it, a Service is still created when ports are given, listening on ' +
            'the first container port.',
        },
      ),
    ),
    ingress: opt(
      obj(
        {
          host: Type.String({
            minLength: 1,
            pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
            description: 'Host name the Ingress rule matches.',
          }),
          path: opt(Type.String({ pattern: '^/', description: 'URL path prefix (pathType Prefix). Default: /.' })),
          className: opt(Type.String({ minLength: 1, description: 'ingressClassName of the Ingress. Default: the cluster default IngressClass.' })),
        },
        {
          description: 'An Ingress named after the application, routing host and path to the Service port; needs ports or service.',
        },
      ),
    ),
  },
  {
    description:
      'A plain application: an apps/v1 Deployment named after the application, a Service when ports or service are given, ' +
      'an Ingress when ingress is given. The objects are labelled app.kubernetes.io/name=<application> and ' +
      "app.kubernetes.io/managed-by=kure and carry no namespace (set the bundle's targetNamespace). The container is named " +
      'after the application and runs as non-root, without privilege escalation, with all capabilities dropped and the ' +
      'RuntimeDefault seccomp profile.',
  },
);

export const ApplicationSpec = obj(
  {
    bundleRef: obj(
      {
        name: name('Name of the KureBundle.'),
        namespace: opt(
          name(
            "Namespace of the KureBundle, when it is not the application's own: allowed only where the bundle lists this " +
              "application's namespace in spec.allowedNamespaces (otherwise Ready=False, reason NotAllowed). Default: the " +
              "application's namespace.",
          ),
        ),
      },
      {
        description:
          'The KureBundle this application belongs to. A bundle below a node with a source takes no applications.',
      },
    ),
    manifests: opt(
      Type.Array(FreeForm('A Kubernetes object.'), {
        description:
          'Kubernetes objects, written as given (key order included) to the bundle directory. Each needs apiVersion, kind ' +
          'and metadata.name; a metadata.namespace must be a DNS-1123 label. Two applications of one cluster that produce ' +
          'the same apiVersion, kind, namespace and name are rejected.',
      }),
    ),
    helm: opt(HelmSpec),
    workload: opt(WorkloadSpec),
  },
  {
    description: 'Desired state of the application: bundleRef and exactly one of manifests, helm and workload.',
    ...cel([
      {
        rule: '[has(self.manifests), has(self.helm), has(self.workload)].filter(x, x).size() == 1',
        message: 'set exactly one of manifests, helm and workload',
      },
    ]),
  },
);

export const CommonStatusSchema = obj({ ...CommonStatus }, { description: 'Observed state, written by the controller.' });

// ---------------------------------------------------------------- resources
const resource = <K extends string, S extends TSchema, T extends TSchema>(kind: K, description: string, spec: S, status: T) =>
  obj(
    {
      apiVersion: Type.Literal(API_VERSION, { description: `API version: ${API_VERSION}.` }),
      kind: Type.Literal(kind, { description: `Kind: ${kind}.` }),
      metadata: ObjectMeta,
      spec,
      status: opt(status),
    },
    { description },
  );

export const KureClusterSchema = resource(
  'KureCluster',
  'A target cluster: the GitOps engine that reconciles it (Flux or Argo CD) and the Git repository, branch and path that ' +
    'Kure renders its tree into. KureNodes attach to it with spec.clusterRef.',
  ClusterSpec,
  ClusterStatus,
);
export const KureNodeSchema = resource(
  'KureNode',
  'A node of the tree below a KureCluster: KureBundles attach with spec.nodeRef, child nodes with spec.parentRef. Its name ' +
    'is a directory of the bundle paths (nodes/<node>/<child>/.../<bundle>/). It may bring an external source whose ' +
    'directories the bundles below it deliver.',
  NodeSpec,
  CommonStatusSchema,
);
export const KureBundleSchema = resource(
  'KureBundle',
  'One GitOps reconciliation unit below a KureNode, named after the bundle: a Flux Kustomization or an Argo CD Application. ' +
    'It applies the objects of its KureApplications from its directory, or a directory of the node source.',
  BundleSpec,
  CommonStatusSchema,
);
export const KureApplicationSchema = resource(
  'KureApplication',
  'One workload or set of objects in a KureBundle: exactly one of manifests (objects as given), helm (a chart) and ' +
    'workload (a Deployment with an optional Service and Ingress). Its objects go to <bundle directory>/<name>.yaml.',
  ApplicationSpec,
  CommonStatusSchema,
);

export type Condition = Static<typeof Condition>;
export type ObjectMeta = Static<typeof ObjectMeta>;
export type ClusterSpec = Static<typeof ClusterSpec>;
export type ClusterStatus = Static<typeof ClusterStatus>;
export type NodeSpec = Static<typeof NodeSpec>;
export type NodeSource = Static<typeof NodeSource>;
export type BundleSpec = Static<typeof BundleSpec>;
export type ApplicationSpec = Static<typeof ApplicationSpec>;
export type HelmSpec = Static<typeof HelmSpec>;
export type WorkloadSpec = Static<typeof WorkloadSpec>;
export type CommonStatus = Static<typeof CommonStatusSchema>;
export type KureCluster = Static<typeof KureClusterSchema>;
export type KureNode = Static<typeof KureNodeSchema>;
export type KureBundle = Static<typeof KureBundleSchema>;
export type KureApplication = Static<typeof KureApplicationSchema>;
export type KureResource = KureCluster | KureNode | KureBundle | KureApplication;
export type KureKind = KureResource['kind'];
