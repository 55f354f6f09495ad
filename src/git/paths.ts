// Paths the sink accepts: the owned directory (`GitTarget.path`) and the keys of a FileTree.
// Both are POSIX, relative, and may not leave their root or touch `.git`.
import { normalizeRepoPath } from '../model/repo-path.js';
import { GitError } from './errors.js';

function problem(what: string, p: string): string | undefined {
  if (p === '') return `${what} is empty`;
  if (p.startsWith('/')) return `${what} "${p}" is absolute`;
  if (p.includes('\\')) return `${what} "${p}" contains a backslash`;
  if (p.includes('\0')) return `${what} contains a NUL character`;
  for (const seg of p.split('/')) {
    if (seg === '') return `${what} "${p}" has an empty segment`;
    if (seg === '..') return `${what} "${p}" escapes its root ("..")`;
    if (seg === '.') return `${what} "${p}" has a "." segment`;
    if (seg.toLowerCase() === '.git') return `${what} "${p}" touches ".git"`;
  }
  return undefined;
}

/** `GitTarget.path` normalised as the model normalises repository.path; anything unsafe is refused. */
export function normaliseOwnedPath(raw: string): string {
  const p = normalizeRepoPath(raw);
  if ('error' in p) throw new GitError('other', `repository path "${raw}" ${p.error}`);
  return p.path;
}

/** Reject a FileTree key that is not a clean relative path. */
export function checkFilePath(p: string): void {
  const why = problem('file path', p);
  if (why) throw new GitError('other', why);
}

export function parentDir(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
