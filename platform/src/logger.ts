import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs to stdout; `service` on every line, `requestId` on request-scoped children. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.refreshToken'], remove: true },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
