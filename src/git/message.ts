// Commit messages that answer "which resource made this change?": a subject that names the Kure
// objects, the changed paths (at most `max`), and trailers `git log` can filter on
// (`git log --format='%(trailers:key=Kure-Changed)'`, `git log --grep 'Kure-Changed: KureApplication ns/web'`).

/** `kure: render production (3 files)` + a blank line + the paths, one a line. */
export function describeChanges(scope: string, changedPaths: readonly string[], max = 30): string {
  return [`kure: render ${scope} (${files(changedPaths.length)})`, '', ...listed(changedPaths, max)].join('\n');
}

/** A message function for `GitSink.sync` that uses `describeChanges`. */
export function changeMessage(scope: string, max = 30): (changedPaths: string[]) => string {
  return (changedPaths) => describeChanges(scope, changedPaths, max);
}

/** A Kure resource that a commit changed, as its trailer names it. */
export interface ChangedObject {
  /** `KureApplication platform/web` */
  ref: string;
  /** metadata.generation the commit renders; absent when the object no longer exists. */
  generation?: number;
}

export interface Provenance {
  /** The KureCluster whose tree the commit writes, `ns/name`. */
  cluster: string;
  /** Objects whose rendered files changed (created, modified or removed), in a stable order. */
  changed: readonly ChangedObject[];
  /** Paths changed, relative to the owned path. */
  changedPaths: readonly string[];
  /** The subset of changedPaths that restore files edited outside Kure. */
  drifted: readonly string[];
  version: string;
}

/**
 * `kure: update platform/production: KureApplication platform/web, … (2 files)` or, when every
 * changed file restores a hand edit, `kure: repair drift in platform/production (1 file edited outside Kure)`;
 * then the paths, then the trailers.
 */
export function provenanceMessage(p: Provenance, max = 30): string {
  const repairOnly = p.drifted.length > 0 && p.drifted.length === p.changedPaths.length;
  const names = p.changed.map((c) => c.ref);
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
  const subject = repairOnly
    ? `kure: repair drift in ${p.cluster} (${files(p.drifted.length)} edited outside Kure)`
    : `kure: update ${p.cluster}${shown ? `: ${shown}` : ''} (${files(p.changedPaths.length)})`;
  const body = [...listed(p.changedPaths, max)];
  if (p.drifted.length > 0 && !repairOnly) body.push('', `Also restores ${files(p.drifted.length)} edited outside Kure: ${p.drifted.slice(0, 5).join(', ')}${p.drifted.length > 5 ? ', …' : ''}`);
  const trailers = [
    `Kure-Cluster: ${p.cluster}`,
    ...p.changed.map((c) => `Kure-Changed: ${c.ref}${c.generation === undefined ? ' (deleted)' : ` generation ${c.generation}`}`),
    ...(p.drifted.length > 0 ? [`Kure-Drift-Repair: ${p.drifted.length}`] : []),
    `Kure-Version: ${p.version}`,
  ];
  return [subject, '', ...body, '', ...trailers].join('\n');
}

function files(n: number): string {
  return `${n} file${n === 1 ? '' : 's'}`;
}

function listed(paths: readonly string[], max: number): string[] {
  const shown = paths.slice(0, max);
  return paths.length > shown.length ? [...shown, `… and ${paths.length - shown.length} more`] : [...shown];
}
