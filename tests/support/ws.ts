/**
 * A graphql-ws client for the system tests: each `subscribe` collects its results in order, so a
 * test can wait for the next one; the socket's close code is kept (4403 for a bad token).
 */
import { type Client, createClient } from 'graphql-ws';
import { gatewayUrl } from './client.js';

export interface LiveSubscription<T = any> {
  /** Every result so far, in delivery order. */
  results: { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }[];
  /** Resolves once `count` results have arrived (fails after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<LiveSubscription<T>['results']>;
  /**
   * Resolves with the first result (already here or still to come) that `match` accepts; fails
   * after `timeoutMs` with every result seen. For a test that must see one particular event, and
   * for proving a stream live before asserting that something else did not come through it.
   */
  waitUntil(
    match: (result: LiveSubscription<T>['results'][number]) => boolean,
    timeoutMs?: number,
  ): Promise<LiveSubscription<T>['results'][number]>;
  /** Resolves when the server has completed the subscription. */
  completed: Promise<void>;
  /** `completed`, but fails after `timeoutMs` saying the stream did not end. */
  ended(timeoutMs?: number): Promise<void>;
  unsubscribe(): void;
}

export interface LiveClient {
  client: Client;
  subscribe<T = any>(query: string, variables?: Record<string, unknown>): LiveSubscription<T>;
  /** The code of the socket's close, once closed. */
  closed: Promise<number>;
  /** Resolves when the server has acknowledged `connection_init` (rejects if it closed instead). */
  connected: Promise<void>;
  dispose(): Promise<void>;
}

/** Opens a socket to the gateway's /graphql (or `url`), authenticated with `token` when given. */
export function liveClient(options: { token?: string; authorization?: string; url?: string } = {}): LiveClient {
  const url = (options.url ?? gatewayUrl()).replace(/^http/, 'ws');
  const authorization = options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
  let onClosed!: (code: number) => void;
  let onConnected!: () => void;
  let onRefused!: (err: Error) => void;
  const closed = new Promise<number>((resolve) => (onClosed = resolve));
  const connected = new Promise<void>((resolve, reject) => {
    onConnected = resolve;
    onRefused = reject;
  });
  connected.catch(() => undefined);
  const client = createClient({
    url,
    lazy: false,
    retryAttempts: 0,
    connectionParams: authorization ? { authorization } : undefined,
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const code = (event as { code?: number })?.code ?? 0;
        onClosed(code);
        onRefused(new Error(`socket closed with ${code}`));
      },
    },
    onNonLazyError: () => undefined,
  });
  return {
    client,
    closed,
    connected,
    subscribe<T>(query: string, variables?: Record<string, unknown>) {
      const results: LiveSubscription<T>['results'] = [];
      const waiters: (() => void)[] = [];
      let onComplete!: () => void;
      const completed = new Promise<void>((resolve) => (onComplete = resolve));
      const push = (result: LiveSubscription<T>['results'][number]) => {
        results.push(result);
        for (const w of waiters.splice(0)) w();
      };
      /** Waits until `done()` holds, waking at each new result (fails after `timeoutMs` with `describe()`). */
      const until = async (done: () => boolean, timeoutMs: number, describe: () => string) => {
        const deadline = Date.now() + timeoutMs;
        while (!done()) {
          const left = deadline - Date.now();
          if (left <= 0)
            throw new Error(
              `${describe()} within ${timeoutMs} ms; got ${results.length} results: ${JSON.stringify(results).slice(0, 2000)}`,
            );
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, left);
            waiters.push(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      };
      const unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (value) => push(value as LiveSubscription<T>['results'][number]),
          error: (err) => {
            push({ errors: Array.isArray(err) ? err : [{ message: String((err as Error)?.message ?? err) }] });
            onComplete();
          },
          complete: () => onComplete(),
        },
      );
      const subscription: LiveSubscription<T> = {
        results,
        completed,
        unsubscribe,
        async waitFor(count: number, timeoutMs = 10_000) {
          await until(
            () => results.length >= count,
            timeoutMs,
            () => `expected ${count} results`,
          );
          return results;
        },
        async waitUntil(match: (result: LiveSubscription<T>['results'][number]) => boolean, timeoutMs = 10_000) {
          await until(
            () => results.some(match),
            timeoutMs,
            () => `expected a result matching ${match.toString().slice(0, 200)}`,
          );
          return results.find(match)!;
        },
        async ended(timeoutMs = 10_000) {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new Error(`the subscription did not end within ${timeoutMs} ms; results: ${JSON.stringify(results).slice(0, 2000)}`),
                ),
              timeoutMs,
            );
          });
          try {
            await Promise.race([completed, timeout]);
          } finally {
            clearTimeout(timer);
          }
        },
      };
      return subscription;
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}
