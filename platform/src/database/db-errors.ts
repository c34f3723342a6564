import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';

export const isUniqueViolation = (err: unknown) => err instanceof UniqueConstraintViolationException;
export const isForeignKeyViolation = (err: unknown) => err instanceof ForeignKeyConstraintViolationException;

/** Runs `fn`; a constraint the database enforced (a race the checks before it lost) becomes the domain error `map` returns. */
export async function translateConstraintErrors<T>(fn: () => Promise<T>, map: (err: unknown) => Error | undefined): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const mapped = isUniqueViolation(err) || isForeignKeyViolation(err) ? map(err) : undefined;
    throw mapped ?? err;
  }
}
