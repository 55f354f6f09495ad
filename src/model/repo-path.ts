// The directory of the repository Kure owns: normalised, and never outside the repository. The one
// path normaliser: the model checks repository.path with it, and the Git sink checks what it is given.

/** Normalised path ('./a/b/' → 'a/b'), or an error message when it would leave the repository. */
export function normalizeRepoPath(path: string): { path: string } | { error: string } {
  if (path.startsWith('/')) return { error: 'must be relative to the repository root, not start with "/"' };
  if (path.includes('\\')) return { error: 'must use "/" as separator' };
  if (path.includes('\0')) return { error: 'must not contain a NUL character' };
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { error: 'must stay inside the repository (no ".." segments)' };
  if (segments.some((s) => s.toLowerCase() === '.git')) return { error: 'must not point into ".git"' };
  if (segments.length === 0) return { error: 'must name a directory below the repository root' };
  return { path: segments.join('/') };
}

/** True when one of two repository paths is the other or lies inside it. */
export const pathsOverlap = (a: string, b: string): boolean => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
