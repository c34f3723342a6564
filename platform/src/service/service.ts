import type { FastifyInstance } from 'fastify';

/** A running service as the launchers see it: `server.ts` builds one, `index.ts` listens. */
export interface Service {
  name: string;
  app: FastifyInstance;
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting requests, drains consumers, closes pools. Idempotent. */
  close(): Promise<void>;
}
