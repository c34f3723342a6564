import { ConflictError } from '@app/platform';

/** A name the user already sees: among their own exercises or the global ones. */
export const exerciseNameConflict = (name: string) => new ConflictError(`An exercise named "${name}" already exists`, 'name');
