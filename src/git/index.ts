// The Git sink: see README.md.
export { GitSink, type CommitMessage, type GitSinkOptions, type GitTarget, type RebuildOptions, type RebuildResult, type SyncResult } from './sink.js';
export { GitError, type GitErrorKind } from './errors.js';
export { pgpOnSign, pgpSigner, type CommitSigner, type SigningKey } from './sign.js';
export { type GitAuth, TOKEN_USERNAME, redactUrls } from './auth.js';
export { changeMessage, describeChanges } from './message.js';
