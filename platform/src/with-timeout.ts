/**
 * `promise`, or a rejection with `timeoutError()` once `ms` have passed, whichever comes first.
 * The timer never outlives the race. For calls that take no AbortSignal (a cache client, an SDK).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
