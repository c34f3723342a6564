/**
 * Whether `patches/@electric-sql+pglite-socket+0.2.17.patch` is in effect (`npm install` applies
 * it with patch-package, its postinstall). pglite-socket serves every connection from PGlite's one
 * session, message by message, and kept one connection's turn only inside an explicit
 * transaction. Between a connection's Bind and its Execute another's messages could run and
 * replace the session's unnamed portal: the statement failed (`portal "" does not exist`) or ran
 * with the other connection's parameters (an order read back at once was another user's, so
 * `order` answered null). The embedded mode's services share that session, so a saga's handlers
 * and a client's reads met there all the time. The patch keeps a connection's turn from its
 * first extended-protocol message (Parse, Bind, Describe, Execute, Close, Flush) to its Sync, and
 * closes the batch of a connection that went away in the middle of one.
 */
import { patchApplied } from '../patch-applied.js';

/** The files the patch changes, beside the package's entry (its ESM chunk and its CommonJS build). */
export const PATCHED_FILES = ['chunk-4D4OME7M.js', 'index.cjs'];
/** What only the patched files have. */
export const PATCHED_MARK = 'this.batchOpen=[80,66,68,69,67,72].includes(i.message[0])';

/** True when the @electric-sql/pglite-socket that `resolveFrom` (a URL) resolves holds the patched queue. */
export const pgliteSocketPatched = (resolveFrom: string = import.meta.url): boolean =>
  patchApplied('@electric-sql/pglite-socket', PATCHED_FILES, PATCHED_MARK, resolveFrom);
