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

/** Entries of the render running now, falling back to the previous render's (dropped when it ends). */
class Generations<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();

  get(key: string): V | undefined {
    return this.current.get(key) ?? this.previous.get(key);
  }

  /** Keeps an entry for this render (and so for the next one). */
  set(key: string, value: V): void {
    this.current.set(key, value);
  }

  begin(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  end(): void {
    this.previous = new Map();
  }

  get size(): number {
    return this.current.size;
  }
}

export class RenderMemo {
  /** Keyed by the application's spec object (the controller's caches hand back the same one while it is unchanged). */
  readonly applications = new WeakMap<object, ApplicationEntry>();
  private readonly directories = new Generations<DirectoryEntry>();
  private readonly documents = new Generations<string>();
  private readonly files = new Generations<FileEntry>();

  directory(key: string): DirectoryEntry | undefined {
    return this.directories.get(key);
  }

  setDirectory(key: string, entry: DirectoryEntry): void {
    this.directories.set(key, entry);
  }

  /** The file at `key` of the last render when it was made from the same `context`, else `make()`'s. */
  file(key: string, context: string, make: () => FileEntry): FileEntry {
    let entry = this.files.get(key);
    if (entry?.context !== context) entry = make();
    this.files.set(key, entry);
    return entry;
  }

  /** YAML text of a document list, by its JSON. */
  document(json: string, make: () => string): string {
    const text = this.documents.get(json) ?? make();
    this.documents.set(json, text);
    return text;
  }

  /** Runs one render of the cluster as a new generation. */
  generation<T>(run: () => T): T {
    const all = [this.directories, this.documents, this.files];
    for (const g of all) g.begin();
    const outer = active;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- it is the pointer activeMemo() reads, not an alias
    active = this;
    try {
      return run();
    } finally {
      active = outer;
      for (const g of all) g.end();
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
