import { ConflictError } from '@app/platform';

/** Category names are unique, case-insensitively. */
export const categoryNameConflict = (name: string) => new ConflictError(`A category named "${name}" already exists`, 'name');
