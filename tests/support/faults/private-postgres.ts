import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../ports.js';
import { PrivateServer } from './private-process.js';

export interface PrivatePostgres {
  url: string;
  port: number;
  server: PrivateServer;
  /** Kills the cluster and removes its files. */
  dispose(): Promise<void>;
}

/** The machine's Postgres binaries (Debian keeps them under /usr/lib/postgresql/<major>/bin). */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const major of majors) if (existsSync(join(root, major, 'bin', 'initdb'))) return join(root, major, 'bin');
  throw new Error('no Postgres binaries under /usr/lib/postgresql (Debian package postgresql); the fault tests need initdb and postgres');
}

/** Postgres refuses to run as root: as root, the cluster belongs to the `postgres` system user. */
function runAs(): { uid?: number; gid?: number } {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A throwaway Postgres cluster from the machine's binaries (initdb in a temporary folder, trust
 * auth, fsync off), with a database `test`. Stop is a fast shutdown (SIGINT); a restart keeps
 * the data, as a database server restarted by an operator does.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const user = runAs();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'private-pg-'));
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const initdb = spawnSync(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], {
    ...user,
    encoding: 'utf8',
  });
  if (initdb.status !== 0) throw new Error(`initdb failed: ${initdb.stderr || initdb.stdout}`);
  const url = `postgres://postgres@127.0.0.1:${port}/test`;
  const server = new PrivateServer({
    name: `postgres :${port}`,
    dataDir: dir,
    command: join(bin, 'postgres'),
    args: [
      '-D',
      join(dir, 'data'),
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ],
    spawnOptions: user,
    stopSignal: 'SIGINT',
    async probe() {
      const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 1_000 });
      client.on('error', () => {});
      try {
        await client.connect();
        const exists = await client.query("select 1 from pg_database where datname = 'test'");
        if (!exists.rowCount) await client.query('create database test');
      } finally {
        await client.end().catch(() => {});
      }
    },
  });
  await server.start();
  return {
    url,
    port,
    server,
    dispose: () => server.dispose(),
  };
}
