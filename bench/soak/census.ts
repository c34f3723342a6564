/**
 * The platform's resources, counted from outside its process (and, for memory, from inside after
 * a full GC, asked over IPC):
 *
 * - memory: heap used and RSS after GC (the runner's process.memoryUsage());
 * - open file descriptors (/proc/<pid>/fd) and libuv handles still active (by type);
 * - the process's TCP sockets (its fd inodes looked up in /proc/<pid>/net/tcp{,6}), by peer:
 *   Postgres, Redis, NATS, clients of the gateway (WebSockets and HTTP), gateway<->subgraph HTTP,
 *   and any left half-closed (CLOSE_WAIT: the peer hung up and nobody closed ours, a classic leak);
 * - Postgres connections in pg_stat_activity of the soak's database with the platform's
 *   application_name (PGAPPNAME in its environment), and those idle in a transaction for over 5 s;
 * - Redis clients of the soak's own redis-server (CLIENT LIST, less this census's own);
 * - NATS connections and core subscriptions (`/connz?subs=1` of the soak's own nats-server) and
 *   JetStream consumers of the namespace's streams (`/jsz?consumers=true`);
 * - the gateway's own gauge of live GraphQL subscriptions (/metrics).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';

export interface RunnerSample {
  collected: boolean;
  /** How long the two collections blocked the platform's event loop. */
  gcMs: number;
  memory: NodeJS.MemoryUsage;
  resources: Record<string, number>;
}

export interface CensusOptions {
  pid: number;
  gatewayPort: number;
  /** Every port the platform listens on (gateway and subgraphs). */
  servicePorts: number[];
  postgres: { adminUrl: string; database: string; applicationName: string; port: number };
  redis: { url: string; port: number };
  nats: { monitorUrl: string; port: number; streamPrefix: string };
  metricsUrl: string;
  operatorToken: string;
  /** A GC in the platform process, then its memory and active resources. */
  sample(): Promise<RunnerSample>;
}

export type Figures = Record<string, number>;

const MB = 1024 * 1024;
const round1 = (n: number) => Math.round(n * 10) / 10;

/** GET without keep-alive (the census must not leave a client socket of its own on the gateway). */
function get(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { connection: 'close', ...headers }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${url}: ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timeout`)));
    req.on('error', reject);
  });
}

/** Sum of a metric's samples (all label sets) in a Prometheus text exposition. */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

interface TcpRow {
  localPort: number;
  remotePort: number;
  state: string;
}

const TCP_ESTABLISHED = '01';
const TCP_CLOSE_WAIT = '08';
const TCP_LISTEN = '0A';

function tcpRows(pid: number): TcpRow[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match) inodes.add(match[1]);
    } catch {
      // closed between readdir and readlink
    }
  }
  const rows: TcpRow[] = [];
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || !inodes.has(cols[9])) continue;
      rows.push({ localPort: parseInt(cols[1].split(':')[1], 16), remotePort: parseInt(cols[2].split(':')[1], 16), state: cols[3] });
    }
  }
  return rows;
}

export class Census {
  private readonly pg: pg.Pool;
  private readonly redis: Redis;
  constructor(private readonly options: CensusOptions) {
    this.pg = new pg.Pool({ connectionString: options.postgres.adminUrl, max: 1, application_name: 'soak-census' });
    this.redis = new Redis(options.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: 'soak-census' });
    this.redis.on('error', () => undefined);
  }

  /** Everything counted once (no GC: for the trend during the load). */
  async quick(): Promise<Figures> {
    return { ...this.counts(), ...(await this.external()) };
  }

  /**
   * Everything counted after a GC, `samples` times `intervalMs` apart, keeping each figure's
   * lowest value: a connection checked out for a moment by a background poller, or a socket
   * closing as the sample is taken, is not a level.
   */
  async settled(samples = 3, intervalMs = 1_000): Promise<Figures> {
    const runs: Figures[] = [];
    for (let i = 0; i < samples; i++) {
      if (i) await new Promise((r) => setTimeout(r, intervalMs));
      const runner = await this.options.sample();
      if (!runner.collected) throw new Error('the platform process has no gc() (not started with --expose-gc)');
      const handles = Object.values(runner.resources).reduce((a, b) => a + b, 0);
      runs.push({
        'heap used after GC (MB)': round1(runner.memory.heapUsed / MB),
        'GC pause (ms)': Math.round(runner.gcMs),
        'RSS after GC (MB)': round1(runner.memory.rss / MB),
        // What V8 keeps committed for its heap (it grows under load and is given back lazily).
        'V8 heap committed after GC (MB)': round1(runner.memory.heapTotal / MB),
        // The rest of the resident memory: code, native allocations (buffers, sockets, zlib...), allocator slack.
        'RSS less V8 heap after GC (MB)': round1((runner.memory.rss - runner.memory.heapTotal) / MB),
        'external + array buffers (MB)': round1((runner.memory.external + runner.memory.arrayBuffers) / MB),
        // Sockets are counted below, one by one by peer; these are the other handles (timers, servers, watchers...).
        'libuv active resources (not sockets)': handles - (runner.resources.TCPSocketWrap ?? 0),
        'timers (Timeout)': runner.resources.Timeout ?? 0,
        ...this.counts(),
        ...(await this.external()),
      });
    }
    const out: Figures = {};
    for (const key of Object.keys(runs[0])) out[key] = Math.min(...runs.map((r) => r[key] ?? Infinity));
    return out;
  }

  private counts(): Figures {
    const { pid, gatewayPort, servicePorts, postgres, redis, nats } = this.options;
    const own = new Set(servicePorts);
    const rows = tcpRows(pid);
    const live = rows.filter((r) => r.state !== TCP_LISTEN);
    const established = live.filter((r) => r.state === TCP_ESTABLISHED);
    const count = (pred: (r: TcpRow) => boolean) => established.filter(pred).length;
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    const interService = count((r) => own.has(r.remotePort) || (own.has(r.localPort) && r.localPort !== gatewayPort));
    return {
      'RSS (MB)': rss ? round1(Number(rss[1]) / 1024) : NaN,
      'open fds': fds,
      // The gateway's idle keep-alive connections to the subgraphs (both ends are in this process)
      // close 65 s after their last use: without them, the descriptors are comparable at any time.
      'open fds less gateway<->subgraph sockets': fds - interService,
      'sockets to Postgres': count((r) => r.remotePort === postgres.port),
      'sockets to Redis': count((r) => r.remotePort === redis.port),
      'sockets to NATS': count((r) => r.remotePort === nats.port),
      'gateway client sockets (WS + HTTP)': count((r) => r.localPort === gatewayPort && !own.has(r.remotePort)),
      'gateway<->subgraph HTTP sockets': interService,
      'sockets in CLOSE_WAIT': live.filter((r) => r.state === TCP_CLOSE_WAIT).length,
    };
  }

  private async external(): Promise<Figures> {
    const { postgres, nats } = this.options;
    // The services' pollers (outbox relays, saga sweeper) open a short transaction every second:
    // a connection is "idle in transaction" for a few milliseconds at any time. One that stays so
    // for seconds is a transaction nobody will finish (a leaked, checked-out connection).
    const activity = await this.pg.query<{ total: string; stuck: string }>(
      `select count(*) as total,
              count(*) filter (where state like 'idle in transaction%' and state_change < now() - interval '5 seconds') as stuck
         from pg_stat_activity where datname = $1 and application_name = $2`,
      [postgres.database, postgres.applicationName],
    );
    if (this.redis.status === 'wait') await this.redis.connect();
    const clients = String(await this.redis.call('CLIENT', 'LIST'))
      .split('\n')
      .filter((line) => line.trim() && !/\bname=soak-census\b/.test(line)).length;
    const connz = JSON.parse(await get(`${nats.monitorUrl}/connz?subs=1&limit=1024`)) as {
      num_connections: number;
      connections?: { subscriptions: number; name?: string }[];
    };
    const jsz = JSON.parse(await get(`${nats.monitorUrl}/jsz?streams=true&consumers=true`)) as {
      account_details?: { stream_detail?: { name: string; consumer_detail?: unknown[] }[] }[];
    };
    let consumers = 0;
    for (const account of jsz.account_details ?? []) {
      for (const stream of account.stream_detail ?? [])
        if (stream.name.startsWith(nats.streamPrefix)) consumers += stream.consumer_detail?.length ?? 0;
    }
    const metrics = await get(this.options.metricsUrl, { authorization: `Bearer ${this.options.operatorToken}` });
    return {
      'Postgres connections (pg_stat_activity)': Number(activity.rows[0].total),
      'Postgres idle in transaction > 5 s': Number(activity.rows[0].stuck),
      'Redis clients (CLIENT LIST)': clients,
      'NATS connections (connz)': connz.num_connections,
      'NATS subscriptions (connz)': (connz.connections ?? []).reduce((sum, c) => sum + c.subscriptions, 0),
      'JetStream consumers (jsz)': consumers,
      'graphql_subscriptions_active (gauge)': metricSum(metrics, 'graphql_subscriptions_active') ?? 0,
      'process_open_fds (/metrics)': metricSum(metrics, 'process_open_fds') ?? NaN,
      'heap used, no GC (MB)': round1((metricSum(metrics, 'nodejs_heap_size_used_bytes') ?? NaN) / MB),
    };
  }

  async close() {
    await this.pg.end().catch(() => undefined);
    this.redis.disconnect();
  }
}
