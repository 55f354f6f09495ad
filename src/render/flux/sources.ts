// A node's `source` → the Flux source object (GitRepository, OCIRepository or Bucket) named after the node.
import type { NodeSource } from '../../api/schema.js';
import type { ClusterModel, NodeModel } from '../../model/types.js';
import { compact, FLUX_SOURCE_API, MANAGED_BY, type KubeObject } from '../objects.js';

export const DEFAULT_SOURCE_INTERVAL = '10m';

export function fluxSource(node: NodeModel, source: NodeSource, cluster: ClusterModel): KubeObject {
  const metadata = { name: node.name, namespace: cluster.flux.namespace, labels: { ...MANAGED_BY } };
  const interval = source.interval ?? DEFAULT_SOURCE_INTERVAL;
  const secretRef = source.secretRef === undefined ? undefined : { name: source.secretRef.name };
  const ref = source.ref ?? {};
  switch (source.kind) {
    case 'GitRepository':
      return {
        apiVersion: FLUX_SOURCE_API,
        kind: 'GitRepository',
        metadata,
        spec: compact({
          interval,
          url: source.url,
          ref: source.ref === undefined ? undefined : compact({ branch: ref.branch, tag: ref.tag, semver: ref.semver, commit: ref.commit }),
          secretRef,
        }),
      };
    case 'OCIRepository':
      return {
        apiVersion: FLUX_SOURCE_API,
        kind: 'OCIRepository',
        metadata,
        spec: compact({
          interval,
          url: source.url,
          // An OCI "commit" is a digest.
          ref: source.ref === undefined ? undefined : compact({ tag: ref.tag, semver: ref.semver, digest: ref.commit }),
          secretRef,
        }),
      };
    case 'Bucket':
      return { apiVersion: FLUX_SOURCE_API, kind: 'Bucket', metadata, spec: compact({ interval, ...bucketLocation(source.url), secretRef }) };
  }
}

export interface BucketLocation {
  provider: 'generic' | 'aws' | 'gcp' | 'azure';
  endpoint: string;
  bucketName: string;
  prefix?: string;
  insecure?: boolean;
}

/**
 * A Bucket source URL → Flux Bucket fields:
 * - `s3://<bucket>[/<prefix>]`              → aws, endpoint s3.amazonaws.com
 * - `gs://<bucket>[/<prefix>]`              → gcp, endpoint storage.googleapis.com
 * - `https://<account>.blob.core.windows.net/<container>[/<prefix>]` → azure
 * - `http(s)://<host[:port]>/<bucket>[/<prefix>]` → generic (S3-compatible, e.g. MinIO); http sets insecure
 */
export function bucketLocation(url: string): BucketLocation {
  const m = /^([a-z0-9]+):\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (m === null) throw new Error(`render: Bucket url ${JSON.stringify(url)}: expected s3://, gs://, http:// or https://`);
  const [, scheme, host, rest] = m as unknown as [string, string, string, string | undefined];
  const parts = (rest ?? '').split('/').filter((s) => s !== '');
  const withPrefix = (loc: BucketLocation, segments: string[]): BucketLocation =>
    segments.length > 0 ? { ...loc, prefix: segments.join('/') } : loc;
  switch (scheme) {
    case 's3':
      return withPrefix({ provider: 'aws', endpoint: 's3.amazonaws.com', bucketName: host }, parts);
    case 'gs':
      return withPrefix({ provider: 'gcp', endpoint: 'storage.googleapis.com', bucketName: host }, parts);
    case 'http':
    case 'https': {
      const [bucket, ...prefix] = parts;
      if (bucket === undefined) throw new Error(`render: Bucket url ${JSON.stringify(url)}: no bucket name in the path`);
      if (scheme === 'https' && host.endsWith('.blob.core.windows.net')) {
        return withPrefix({ provider: 'azure', endpoint: `https://${host}`, bucketName: bucket }, prefix);
      }
      const loc: BucketLocation = { provider: 'generic', endpoint: host, bucketName: bucket };
      return withPrefix(scheme === 'http' ? { ...loc, insecure: true } : loc, prefix);
    }
    default:
      throw new Error(`render: Bucket url ${JSON.stringify(url)}: expected s3://, gs://, http:// or https://`);
  }
}
