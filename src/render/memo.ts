// The re-render memos of one cluster, owned by a Renderer (renderer.ts). A render runs inside one
// generation: lookups fall back to the previous render's entries and every entry used is carried
// into the new generation; at the end the previous one is dropped. So a cluster's memo holds its
// current output once, whatever the number of renders, and dies with the Renderer (or forget()).
import type { BundleDirectory, RenderedFile } from './bundles.js';

export interface ApplicationEntry {
  context: string;
  id: string;
  file: RenderedFile;
}

export interface DirectoryEntry {
  context: string;
  specs: object[];
  ids: string[];
  directory: BundleDirectory;
}

export class RenderMemo {
  /** Keyed by the application's spec object (the controller's caches hand back the same one while it is unchanged). */
  readonly applications = new WeakMap<object, ApplicationEntry>();
  private directories = new Map<string, DirectoryEntry>();
  private previousDirectories = new Map<string, DirectoryEntry>();
  private documents = new Map<string, string>();
  private previousDocuments = new Map<string, string>();

  directory(key: string): DirectoryEntry | undefined {
    return this.directories.get(key) ?? this.previousDirectories.get(key);
  }

  setDirectory(key: string, entry: DirectoryEntry): void {
    this.directories.set(key, entry);
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
    this.directories = new Map();
    this.documents = new Map();
    const outer = active;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- it is the pointer activeMemo() reads, not an alias
    active = this;
    try {
      return run();
    } finally {
      active = outer;
      this.previousDirectories = new Map();
      this.previousDocuments = new Map();
    }
  }

  /** Entries held (directories and documents), for tests and measurements. */
  get size(): number {
    return this.directories.size + this.documents.size;
  }
}

/**
 * The memo of the render running now (render is synchronous), or none. This is not a process-wide
 * memo: it only points, for the duration of one Renderer call, at the memo that Renderer owns.
 */
let active: RenderMemo | undefined;

export const activeMemo = (): RenderMemo | undefined => active;
