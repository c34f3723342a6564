/**
 * Whether `patches/@mikro-orm+core+7.2.1.patch` is in effect (`npm install` applies it with
 * patch-package, its postinstall). MikroORM defines each scalar property of an entity on the
 * instance the first time it is written (hydration writes them all), with a getter and setter
 * made for that instance: every entity got hidden classes of its own (kept in the old
 * generation), and the entity outlived every scavenge until a full collection. Under the
 * gateway comparison, the REST facade and the map benchmarks the subgraphs' process promoted
 * 263 MB, 30 MB with the patch, which makes the pair once per property (bench/young-survival.ts
 * shows the pattern alone). Nothing else changes.
 */
import { patchApplied } from '../patch-applied.js';

/** The file the patch changes, in the package. */
export const PATCHED_FILE = 'entity/EntityHelper.js';
/** A line only the patched file has. */
export const PATCHED_MARK = 'Object.defineProperty(this, prop.name, accessor);';

/** True when the @mikro-orm/core that `resolveFrom` (a URL) resolves holds the patched EntityHelper. */
export const mikroOrmPatched = (resolveFrom: string = import.meta.url): boolean =>
  patchApplied('@mikro-orm/core', [PATCHED_FILE], PATCHED_MARK, resolveFrom);
