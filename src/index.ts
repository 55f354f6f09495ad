// Kure as a library: the same pure core the CLI and the controller use.
export * from './api/schema.js';
export { KINDS, KIND_NAMES, type KindInfo } from './api/kinds.js';
export { crdFiles } from './api/crd.js';
export { assemble, isRenderable, DEFAULTS, type AssembleResult, type AssembledCluster } from './model/assemble.js';
export {
  ClusterBuilder,
  NodeBuilder,
  BundleBuilder,
  type ApplicationConfig,
  type BundleConfig,
  type ClusterConfig,
  type NodeConfig,
} from './model/builder.js';
export { Reason, ValidationError, formatProblem, formatRef, refKey } from './model/problems.js';
/** Every reason Kure's status conditions carry (Ready, Reconciling, Stalled). */
export { Reason as ConditionReason } from './api/reasons.js';
export type * from './model/types.js';
export { render } from './render/index.js';
export { KUBERNETES_VERSION, hasSchema, kindInfo, validateObject, type KindInfo as KubeKindInfo, type SchemaError } from './schemas/index.js';
