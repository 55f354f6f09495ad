// Per-kind facts shared by the CRD generator, the CLI reader and the controller's informers.
import type { TObject } from '@sinclair/typebox';
import {
  KureApplicationSchema,
  KureBundleSchema,
  KureClusterSchema,
  KureNodeSchema,
  type KureKind,
} from './schema.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer' | 'boolean';
  jsonPath: string;
  priority?: number;
}

export interface KindInfo {
  kind: KureKind;
  plural: string;
  singular: string;
  shortNames: string[];
  schema: TObject;
  columns: PrinterColumn[];
}

const ready: PrinterColumn[] = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
];
const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const message: PrinterColumn = {
  name: 'Message',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].message',
  priority: 1,
};

export const KINDS: Record<KureKind, KindInfo> = {
  KureCluster: {
    kind: 'KureCluster',
    plural: 'kureclusters',
    singular: 'kurecluster',
    shortNames: ['kc'],
    schema: KureClusterSchema,
    columns: [
      { name: 'Engine', type: 'string', jsonPath: '.spec.gitops.engine' },
      ...ready,
      { name: 'Commit', type: 'string', jsonPath: '.status.lastCommit.sha' },
      { name: 'Applied', type: 'string', jsonPath: '.status.applied' },
      age,
      message,
    ],
  },
  KureNode: {
    kind: 'KureNode',
    plural: 'kurenodes',
    singular: 'kurenode',
    shortNames: ['kn'],
    schema: KureNodeSchema,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterRef.name' },
      { name: 'Parent', type: 'string', jsonPath: '.spec.parentRef.name' },
      ...ready,
      age,
      message,
    ],
  },
  KureBundle: {
    kind: 'KureBundle',
    plural: 'kurebundles',
    singular: 'kurebundle',
    shortNames: ['kb'],
    schema: KureBundleSchema,
    columns: [
      { name: 'Node', type: 'string', jsonPath: '.spec.nodeRef.name' },
      ...ready,
      { name: 'Applied', type: 'string', jsonPath: '.status.conditions[?(@.type=="Applied")].status' },
      { name: 'Applied-Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Applied")].reason', priority: 1 },
      age,
      message,
    ],
  },
  KureApplication: {
    kind: 'KureApplication',
    plural: 'kureapplications',
    singular: 'kureapplication',
    shortNames: ['ka', 'kapp'],
    schema: KureApplicationSchema,
    columns: [{ name: 'Bundle', type: 'string', jsonPath: '.spec.bundleRef.name' }, ...ready, age, message],
  },
};

export const KIND_NAMES = Object.keys(KINDS) as KureKind[];
