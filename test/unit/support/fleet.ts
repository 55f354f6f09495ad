// Valid fleets for unit tests, built with the ClusterBuilder (src/model/builder.ts): the resources it
// gives are those `kure render` reads from YAML and the controller from the API server. What the
// builder cannot express (dangling or malformed references, wrong types, metadata such as
// generation or annotations) the tests build by hand next to these.
import type { KureResource } from '../../../src/api/schema.js';
import type { ApplicationConfig, ClusterBuilder } from '../../../src/model/builder.js';

/** A ConfigMap manifest. */
export const configMap = (name: string, data: Record<string, unknown> = { a: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

/** An application of one ConfigMap named after it. */
export const configMapApp = (name: string, data?: Record<string, unknown>): ApplicationConfig => ({ manifests: [configMap(name, data)] });

/** The resources of several clusters: one fleet. */
export const fleetOf = (...clusters: ClusterBuilder[]): KureResource[] => clusters.flatMap((c) => c.resources());
