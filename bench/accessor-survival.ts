/**
 * V8's side of patches/@apollo+server+5.5.1.patch (README, Performance): an object made per call by
 * a literal with its own `get`/`set` is not freed by young-generation collections, nor is what it
 * and its closures hold; the same accessors on a class are. Each way runs in a worker of its own (its own
 * heap) for BENCH_ACCESSOR_SECONDS (default 2), making "requests" of 40 small objects that the
 * accessor's closure (or the instance) refers to, and reports its scavenges with `v8.GCProfiler`.
 *
 *   npm exec -- tsx bench/accessor-survival.ts
 */
import { GCProfiler } from 'node:v8';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { printTable } from './lib.js';

type Way = 'object literal with get/set' | 'class with get/set';
const WAYS: Way[] = ['object literal with get/set', 'class with get/set'];

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

function run(way: Way, seconds: number): Promise<void> {
  const make = way === 'class with get/set' ? viaClass : literal;
  const profiler = new GCProfiler();
  profiler.start();
  const end = Date.now() + seconds * 1000;
  let sink = 0;
  return new Promise((resolve) => {
    const batch = () => {
      for (let i = 0; i < 200; i++) {
        const http = make({ status: 200, payload: Array.from({ length: 40 }, (_, n) => ({ n })) });
        http.status = 503;
        sink += http.status;
      }
      if (Date.now() < end) return setImmediate(batch);
      const { statistics } = profiler.stop()!;
      parentPort!.postMessage({ statistics, sink });
      resolve();
    };
    batch();
  });
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
  const seconds = Number(process.env.BENCH_ACCESSOR_SECONDS ?? 2);
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
  printTable(`Accessors made per object vs on a class: what outlives a scavenge (${seconds} s each, a worker each)`, rows);
} else {
  await run(workerData.way as Way, workerData.seconds as number);
}
