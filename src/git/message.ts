// Commit messages that say what changed.

/** `kure: update production (3 files: a.yaml, b/c.yaml, d.yaml)`; lists at most `max` paths. */
export function describeChanges(scope: string, changedPaths: readonly string[], max = 5): string {
  const n = changedPaths.length;
  if (n === 0) return `kure: update ${scope}`;
  const shown = changedPaths.slice(0, max).join(', ');
  const more = n > max ? `, and ${n - max} more` : '';
  return `kure: update ${scope} (${n} file${n === 1 ? '' : 's'}: ${shown}${more})`;
}

/** A message function for `GitSink.sync` that uses `describeChanges`. */
export function changeMessage(scope: string, max = 5): (changedPaths: string[]) => string {
  return (changedPaths) => describeChanges(scope, changedPaths, max);
}
