// The re-render memos of one cluster, owned by a Renderer (renderer.ts). A render runs inside one
// generation: lookups fall back to the previous render's entries and every entry used is carried
// into the new generation; at the end the previous one is dropped. So a cluster's memo holds its
// current output once, whatever the number of renders, and dies with the Renderer (or forget()).
import type { ApplicationModel } from '../model/types.js';
import type { BundleDirectory, RenderedFile } from './bundles.js';
import type { KubeObject } from './objects.js';

export interface ApplicationEntry {
  context: string;
  id: string;
  file: RenderedFile;
}

export interface DirectoryEntry {
  context: string;
  /** The bundle's applications of that render: reused while each has the same spec, name and namespace. */
  apps: readonly ApplicationModel[];
  directory: BundleDirectory;
}

/** A file made only from `context`: its objects (the same list, so the output check skips it) and its YAML. */
export interface FileEntry {
  context: string;
  objects: KubeObject[];
  text: string;
}

export class RenderMemo {
  /** Keyed by the application's spec object (the controller's caches hand back the same one while it is unchanged). */
  readonly applications = new WeakMap<object, ApplicationEntry>();
  private directories = new Map<string, DirectoryEntry>();
  private previousDirectories = new Map<string, DirectoryEntry>();
  private documents = new Map<string, string>();
  private previousDocuments = new Map<string, string>();
  private files = new Map<string, FileEntry>();
  private previousFiles = new Map<string, FileEntry>();

  directory(key: string): DirectoryEntry | undefined {
    return this.directories.get(key) ?? this.previousDirectories.get(key);
  }

  setDirectory(key: string, entry: DirectoryEntry): void {
    this.directories.set(key, entry);
  }

  /** The file at `key` of the last render when it was made from the same `context`, else `make()`'s. */
  file(key: string, context: string, make: () => FileEntry): FileEntry {
    let entry = this.files.get(key) ?? this.previousFiles.get(key);
    if (entry?.context !== context) entry = make();
    this.files.set(key, entry);
    return entry;
  }

  /** YAML text of a document list, by its JSON. */
  document(json: string, make: () => string): string {
    let text = this.documents.get(json);
    if (text === undefined) {
      text = this.previousDocuments.get(json) ?? make();
      this.documents.set(json, text);
    }
    return text;
  }

  /** Runs one render of the cluster as a new generation. */
  generation<T>(run: () => T): T {
    this.previousDirectories = this.directories;
    this.previousDocuments = this.documents;
    this.previousFiles = this.files;
    this.directories = new Map();
    this.documents = new Map();
    this.files = new Map();
    const outer = active;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- it is the pointer activeMemo() reads, not an alias
    active = this;
    try {
      return run();
    } finally {
      active = outer;
      this.previousDirectories = new Map();
      this.previousDocuments = new Map();
      this.previousFiles = new Map();
    }
  }

  /** Entries held (directories, files and documents), for tests and measurements. */
  get size(): number {
    return this.directories.size + this.documents.size + this.files.size;
  }
}

/**
 * The memo of the render running now (render is synchronous), or none. This is not a process-wide
 * memo: it only points, for the duration of one Renderer call, at the memo that Renderer owns.
 */
let active: RenderMemo | undefined;

export const activeMemo = (): RenderMemo | undefined => active;
