/**
 * What outlives a young-generation collection, two ways each (README, Performance): the V8
 * behaviours behind the patches of @apollo/server and @mikro-orm/core and PoolSafeClient's promise path.
 *
 * - An object made per call by a literal with its own `get`/`set` is not freed by scavenges, nor is
 *   what it and its closures hold; the same accessors on a class are. Each call makes a "request"
 *   of 40 small objects that the accessors (or the instance) refer to.
 * - The same for a getter and setter defined on an instance (MikroORM's entities): a pair made for
 *   each instance against one pair shared by all (patches/@mikro-orm+core+7.2.1.patch).
 * - pg's `client.query(text)` without a callback builds its Query, then sets the Query's callback:
 *   such Queries, with their rows, outlived scavenges; the callback given to `query` does not.
 *   Four connections to Postgres (DATABASE_URL, default the local `test` database) run a small
 *   select in turn.
 *
 * Each way runs in a worker of its own (its own heap) for BENCH_YOUNG_SECONDS (default 2) and
 * reports its scavenges with `v8.GCProfiler`:
 *
 *   npm exec -- tsx bench/young-survival.ts
 */
import { GCProfiler } from 'node:v8';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pg from 'pg';
import { printTable } from './lib.js';

const WAYS = [
  'object literal with get/set',
  'class with get/set',
  'get/set defined on each instance, a pair per instance',
  'get/set defined on each instance, one pair for all',
  'pg query as a promise (its callback set later)',
  'pg query with its callback',
] as const;
type Way = (typeof WAYS)[number];

interface Request {
  status: number;
  payload: { n: number }[];
}

class ResponseHttp {
  constructor(private readonly request: Request) {}
  get status() {
    return this.request.status;
  }
  set status(status: number) {
    this.request.status = status;
  }
}

// What makeGatewayGraphQLRequestContext did, and what the patch makes it do.
const literal = (request: Request) => ({
  get status() {
    return request.status;
  },
  set status(status: number) {
    request.status = status;
  },
});
const viaClass = (request: Request) => new ResponseHttp(request);

/**
 * What MikroORM's hydration does to each entity (its EntityHelper.defineProperties): the first
 * write of a property defines it on the instance with a getter and setter; made per instance
 * before patches/@mikro-orm+core+7.2.1.patch, one pair per property after it.
 */
class Entity {
  constructor(readonly request: Request) {}
}
const entityAccessor = (): PropertyDescriptor & ThisType<Entity> => ({
  get() {
    return this.request.status;
  },
  set(status: number) {
    this.request.status = status;
  },
  enumerable: true,
  configurable: true,
});
const sharedEntityAccessor = entityAccessor();
const entityWith = (accessor: () => PropertyDescriptor) => (request: Request) =>
  Object.defineProperty(new Entity(request), 'status', accessor()) as Entity & { status: number };
const MAKERS: Record<string, (request: Request) => { status: number }> = {
  'object literal with get/set': literal,
  'class with get/set': viaClass,
  'get/set defined on each instance, a pair per instance': entityWith(entityAccessor),
  'get/set defined on each instance, one pair for all': entityWith(() => sharedEntityAccessor),
};

/** Makes requests in batches (yielding between them) until `end`. */
function accessors(way: Way, end: number): Promise<number> {
  const make = MAKERS[way]!;
  let sink = 0;
  return new Promise((resolve) => {
    const batch = () => {
      for (let i = 0; i < 200; i++) {
        const http = make({ status: 200, payload: Array.from({ length: 40 }, (_, n) => ({ n })) });
        http.status = 503;
        sink += http.status;
      }
      if (Date.now() < end) setImmediate(batch);
      else resolve(sink);
    };
    batch();
  });
}

const SELECT = 'select relname, relkind, relpages from pg_class order by relname limit 5';

/** Four connections select in turn until `end`, each statement as a promise or with a callback. */
async function queries(way: Way, clients: pg.Client[], end: number): Promise<number> {
  const withCallback = way === 'pg query with its callback';
  const one = (client: pg.Client) =>
    withCallback
      ? new Promise<pg.QueryResult>((resolve, reject) => client.query(SELECT, [], (err, result) => (err ? reject(err) : resolve(result))))
      : client.query(SELECT);
  let rows = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (Date.now() < end) rows += (await one(client)).rows.length;
    }),
  );
  return rows;
}

async function run(way: Way, seconds: number): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const clients = way.startsWith('pg') ? [0, 1, 2, 3].map(() => new pg.Client({ connectionString: databaseUrl })) : [];
  await Promise.all(clients.map((client) => client.connect()));
  const profiler = new GCProfiler();
  profiler.start();
  const end = Date.now() + seconds * 1000;
  if (clients.length) await queries(way, clients, end);
  else await accessors(way, end);
  const { statistics } = profiler.stop()!;
  await Promise.all(clients.map((client) => client.end()));
  parentPort!.postMessage({ statistics });
}

interface SpaceStats {
  spaceName: string;
  spaceUsedSize: number;
}
interface GcStat {
  gcType: string;
  cost: number;
  beforeGC: { heapSpaceStatistics: SpaceStats[] };
  afterGC: { heapSpaceStatistics: SpaceStats[] };
}

const used = (spaces: SpaceStats[], name: string) => spaces.find((s) => s.spaceName === name)?.spaceUsedSize ?? 0;

function row(way: Way, statistics: GcStat[]) {
  const scavenges = statistics.filter((s) => s.gcType === 'Scavenge');
  let outlived = 0;
  let young = 0;
  for (const s of scavenges) {
    const before = s.beforeGC.heapSpaceStatistics;
    const after = s.afterGC.heapSpaceStatistics;
    // What the scavenge kept: left in the young generation, plus promoted to the old one.
    outlived += used(after, 'new_space') + Math.max(0, used(after, 'old_space') - used(before, 'old_space'));
    young += used(before, 'new_space');
  }
  const n = Math.max(1, scavenges.length);
  return {
    way,
    scavenges: scavenges.length,
    'mean pause ms': Number((scavenges.reduce((sum, s) => sum + s.cost, 0) / n / 1000).toFixed(2)),
    'outlived per scavenge, MB': Number((outlived / n / 1e6).toFixed(2)),
    '% of the young generation': Number(((100 * outlived) / Math.max(1, young)).toFixed(1)),
  };
}

if (isMainThread) {
  const seconds = Number(process.env.BENCH_YOUNG_SECONDS ?? 2);
  const rows = [];
  for (const way of WAYS) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { way, seconds }, execArgv: ['--import', 'tsx'] });
    const { statistics } = await new Promise<{ statistics: GcStat[] }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    rows.push(row(way, statistics));
  }
  printTable(`What outlives a scavenge, two ways each (${seconds} s each, a worker each)`, rows);
} else {
  await run(workerData.way as Way, workerData.seconds as number);
}
