// Commit messages that say what changed: a subject line, then the changed paths (at most `max`).

/** `kure: render platform/production (3 files)` + a blank line + the paths, one a line. */
export function describeChanges(scope: string, changedPaths: readonly string[], max = 30): string {
  const n = changedPaths.length;
  const shown = changedPaths.slice(0, max);
  const more = n > shown.length ? [`… and ${n - shown.length} more`] : [];
  return [`kure: render ${scope} (${n} file${n === 1 ? '' : 's'})`, '', ...shown, ...more].join('\n');
}

/** A message function for `GitSink.sync` that uses `describeChanges`. */
export function changeMessage(scope: string, max = 30): (changedPaths: string[]) => string {
  return (changedPaths) => describeChanges(scope, changedPaths, max);
}
