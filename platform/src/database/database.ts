import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Migration, Migrator } from '@mikro-orm/migrations';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from '../observability/logger.js';
import { mikroOrmPatched } from './mikro-orm-patch.js';
import { pgliteSocketPatched } from './pglite-socket-patch.js';
import { PoolSafeClient } from './pool-safe-pg-client.js';

// biome-ignore lint/suspicious/noExplicitAny: MikroORM's Migration classes take constructor arguments of its own choosing
export type MigrationClass = new (...args: any[]) => Migration;

export interface DatabaseOptions {
  url: string;
  /** Postgres schema that holds this service's tables (a schema per service). */
  schema: string;
  entities: NonNullable<Options['entities']>;
  /** Committed migrations, oldest first; applied at start. */
  migrations: { name: string; class: MigrationClass }[];
  poolMax?: number;
  /** How long a pooled connection may sit idle before it is closed. Default 60 000 ms. */
  poolIdleTimeoutMs?: number;
  /** Longest wait for a connection (pool or new). Default 2000 ms. */
  connectTimeoutMs?: number;
  /** statement_timeout of every session; a connection whose server has not answered for 2 s more than that is given up (a server that stopped answering; checked every 0.5 s). Default 10 000 ms. */
  statementTimeoutMs?: number;
  logger?: Logger;
}

/**
 * Opens the service's database and applies its pending migrations. Replicas starting together
 * take a Postgres advisory lock, so exactly one of them migrates.
 */
export async function openDatabase(options: DatabaseOptions): Promise<MikroORM> {
  const { url, schema } = options;
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`Invalid schema name: ${schema}`);

  if (!mikroOrmPatched())
    options.logger?.warn(
      'patches/@mikro-orm+core+7.2.1.patch is not applied (npm install applies it): every entity loaded outlives the young-generation GC',
    );
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
  const lockClient = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  await lockClient.connect();
  try {
    await lockClient.query('select pg_advisory_lock(hashtext($1))', [`migrate:${schema}`]);
    await lockClient.query(`create schema if not exists "${schema}"`);
    const orm = await MikroORM.init({
      clientUrl: url,
      schema,
      entities: options.entities,
      extensions: [Migrator],
      pool: { min: 0, max: options.poolMax ?? 10, idleTimeoutMillis: options.poolIdleTimeoutMs ?? 60_000 },
      // Time limits (pg's Pool options): no request waits on the database past them; the error
      // is a dependency failure (SERVICE_UNAVAILABLE, 503). Migrations run under the same limit.
      driverOptions: {
        connectionTimeoutMillis: connectTimeoutMs,
        statement_timeout: statementTimeoutMs,
        // PoolSafeClient's read timeout, not pg's query_timeout (a timer per statement).
        readTimeoutMillis: statementTimeoutMs + 2_000,
        // A transaction left open by a crashed request must not hold its locks for long.
        idle_in_transaction_session_timeout: Math.max(30_000, statementTimeoutMs * 3),
        // A server that vanished without closing the socket is noticed.
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        // A transaction caught by an outage gives its connection back (pool-safe-pg-client.ts).
        Client: PoolSafeClient,
      },
      migrations: { migrationsList: options.migrations, schema, snapshot: false, silent: true, transactional: true },
      debug: false,
      // MikroORM finds the running transaction by context name (AsyncLocalStorage). With the
      // default name shared by every service, a handler run by the in-process bus inside another
      // service's transaction would join that transaction, on the other service's connection and
      // metadata. A name per schema keeps each service's transactions its own.
      contextName: schema,
      // Entities are declared with defineEntity; no reflection, no discovery from disk.
      discovery: { warnWhenNoEntities: true },
    });
    const applied = await orm.migrator.up();
    if (applied.length) options.logger?.info({ schema, migrations: applied.map((m) => m.name) }, 'migrations applied');
    return orm;
  } finally {
    await lockClient.query('select pg_advisory_unlock(hashtext($1))', [`migrate:${schema}`]).catch(() => {});
    await lockClient.end().catch(() => {});
  }
}

export interface EmbeddedPostgres {
  url: string;
  close(): Promise<void>;
}

/**
 * PGlite served over the Postgres wire protocol, so the embedded mode runs the same driver and
 * SQL as production. One instance for every service (a schema each): PGlite costs ~250 MB a copy.
 * `dataDir` null keeps everything in memory.
 */
export async function startEmbeddedPostgres(dataDir: string | null, logger?: Logger): Promise<EmbeddedPostgres> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
  if (!pgliteSocketPatched())
    logger?.warn(
      "patches/@electric-sql+pglite-socket+0.2.17.patch is not applied (npm install applies it): concurrent statements of the services can run with each other's parameters",
    );
  const dir = dataDir ? resolve(dataDir, 'pglite') : undefined;
  if (dir) mkdirSync(dir, { recursive: true });
  const db = dir ? await PGlite.create(dir) : await PGlite.create();
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 32 });
  await server.start();
  const address = (server as unknown as { server: import('node:net').Server }).server.address();
  if (!address || typeof address === 'string') throw new Error('PGlite socket server has no TCP address');
  logger?.info({ dataDir, port: address.port }, 'embedded Postgres (PGlite) started');
  return {
    url: `postgres://postgres@127.0.0.1:${address.port}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
