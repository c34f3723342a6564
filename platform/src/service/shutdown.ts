import type { Logger } from '../observability/logger.js';

/**
 * Graceful shutdown on SIGTERM/SIGINT: closers run in the order given (stop accepting requests
 * first, then drain the bus, then close pools), bounded by `timeoutMs`, then the process exits.
 */
export function onShutdown(logger: Logger, closers: (() => Promise<unknown>)[], timeoutMs = 10_000) {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    for (const close of closers) {
      try {
        await close();
      } catch (err) {
        logger.warn({ err }, 'error while shutting down');
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  // `on`, not `once`: a signal repeated during the shutdown (or re-raised by a library that
  // handled it first) must not find the default action, which ends the process at once.
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
