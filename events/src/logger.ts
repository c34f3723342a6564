/** The subset of pino's Logger the bus uses, so any pino logger (or a test double) fits. */
export interface EventLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => {};
export const silentLogger: EventLogger = { debug: noop, info: noop, warn: noop, error: noop };
