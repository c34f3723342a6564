/**
 * `docker compose up --scale gateway=2`: the `lb` service (nginx, deploy/nginx/nginx.conf) holds
 * the published port in front of the gateway replicas. Checked twice: what compose would run
 * (`docker-compose config`, no engine needed), and the same nginx.conf run by a real nginx in
 * front of two real gateways, with its upstream pointed at them instead of Docker's DNS.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually, gql, loginAdmin, platformEnv, unique } from './support/client.js';
import { freePort } from './support/ports.js';
import { type LiveClient, liveClient } from './support/ws.js';

const repoRoot = new URL('..', import.meta.url).pathname;
const nginxConf = readFileSync(join(repoRoot, 'deploy/nginx/nginx.conf'), 'utf8');
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const nginxBinary = ['nginx', '/usr/sbin/nginx'].find((c) => spawnSync(c, ['-v']).status === 0);

describe.skipIf(!has('docker-compose'))('docker-compose.yml: gateway replicas behind lb', () => {
  let services: Record<
    string,
    { ports?: unknown[]; expose?: string[]; image?: string; environment?: Record<string, string>; volumes?: unknown[] }
  >;
  beforeAll(() => {
    const run = spawnSync('docker-compose', ['config'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, REDIS_PASSWORD: 'x', NATS_PASSWORD: 'y' },
    });
    expect(run.status, run.stderr).toBe(0);
    services = parse(run.stdout).services;
  });

  it('only lb publishes the gateway port, so --scale gateway=N cannot clash', () => {
    expect(services.gateway.ports).toBeUndefined();
    expect(services.gateway.expose).toEqual(['4000']);
    // docker-compose v1 prints the published port as a number, docker compose v2 as a string.
    expect(services.lb.ports).toEqual([expect.objectContaining({ target: 4000 })]);
    expect(String((services.lb.ports![0] as { published: unknown }).published)).toBe('4000');
    expect(JSON.stringify(services.lb.volumes)).toContain('deploy/nginx/nginx.conf');
    // One proxy of ours in front: the gateway's rate limits key on the client's address.
    expect(services.gateway.environment?.TRUST_PROXY_HOPS).toBe('1');
  });

  it('every service sends traces to the Jaeger service, whose UI is published on loopback only', () => {
    const apps = Object.entries(services).filter(([, s]) => s.environment?.NODE_ENV === 'production');
    expect(apps.length).toBe(7);
    for (const [name, s] of apps) expect(s.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe('http://jaeger:4318');
    expect(services.jaeger.image).toMatch(/^jaegertracing\/jaeger:2\./);
    expect(JSON.stringify(services.jaeger.ports)).toContain('127.0.0.1');
  });

  it("nginx finds the replicas through Docker's DNS again and again, not once at start", () => {
    expect(nginxConf).toMatch(/resolver 127\.0\.0\.11 /);
    expect(nginxConf).toMatch(/server gateway:4000 resolve;/);
  });
});

/** The compose nginx.conf, listening on `port` with the two local gateways as its upstream. */
function localConf(port: number, upstreams: number[], dir: string): string {
  const conf = nginxConf
    .replace(/^\s*resolver .*$/m, '')
    .replace(/server gateway:4000 resolve;/, upstreams.map((p) => `server 127.0.0.1:${p};`).join(' '))
    .replace(/listen 4000;/, `listen 127.0.0.1:${port};`)
    .replace(/^worker_processes .*$/m, `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;`)
    .replace(/^http \{/m, `http {\n  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;`);
  expect(conf).not.toBe(nginxConf);
  expect(conf).not.toMatch(/gateway:4000/);
  return conf;
}

async function metric(gatewayPort: number, prefix: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gatewayPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe.skipIf(!nginxBinary)('nginx (deploy/nginx/nginx.conf) in front of two gateways', () => {
  const gateways: GatewayService[] = [];
  const ports: number[] = [];
  const clients: LiveClient[] = [];
  let nginx: ChildProcess;
  let dir: string;
  let lbUrl: string;

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const gateway = await buildGateway({ config: loadGatewayConfig({ ...platformEnv(), TRUST_PROXY_HOPS: '1' }) });
      gateways.push(gateway);
      ports.push(await gateway.listen(0, '127.0.0.1'));
    }
    dir = mkdtempSync(join(tmpdir(), 'lb-'));
    for (const sub of ['body', 'proxy']) mkdirSync(join(dir, sub));
    const port = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), localConf(port, ports, dir));
    const check = spawnSync(nginxBinary!, ['-t', '-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf')], {
      encoding: 'utf8',
    });
    expect(check.status, check.stderr).toBe(0);
    nginx = spawn(nginxBinary!, ['-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
      stdio: 'ignore',
    });
    lbUrl = `http://127.0.0.1:${port}/graphql`;
    await eventually(async () => (await fetch(lbUrl.replace('/graphql', '/healthz')).catch(() => null))?.ok);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose().catch(() => undefined)));
    nginx?.kill('SIGQUIT');
    // The last test already closed one of them.
    await Promise.all(gateways.map((g) => g.close().catch(() => undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('spreads requests over both replicas', async () => {
    const served = 'http_request_duration_seconds_count{';
    const before = await Promise.all(ports.map((p) => metric(p, served)));
    for (let i = 0; i < 12; i++) {
      const res = await gql('{ __typename }', undefined, { url: lbUrl });
      expect(res.status).toBe(200);
    }
    const after = await Promise.all(ports.map((p) => metric(p, served)));
    for (const i of [0, 1]) expect(after[i] - before[i], `replica ${i}`).toBeGreaterThanOrEqual(3);
  });

  it('carries WebSocket subscriptions to both replicas, and events reach each subscriber', async () => {
    const admin = await loginAdmin();
    const category = await gql(
      'mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }',
      { i: { name: unique('Lb') } },
      { token: admin.accessToken, url: lbUrl },
    );
    const product = await gql(
      'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }',
      { i: { name: unique('Lb product'), price: 3, stockQuantity: 5, categoryId: category.body.data!.createCategory.id } },
      { token: admin.accessToken, url: lbUrl },
    );
    const productId = product.body.data!.createProduct.id as string;
    const active = 'graphql_subscriptions_active{field="stockUpdated"';
    const baseline = await Promise.all(ports.map((p) => metric(p, active)));
    const subs = Array.from({ length: 4 }, () => {
      const client = liveClient({ url: lbUrl });
      clients.push(client);
      return client.subscribe('subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { productId newQuantity } }', {
        ids: [productId],
      });
    });
    // Live on both replicas: round robin sends two sockets to each.
    await eventually(async () => {
      const now = await Promise.all(ports.map((p, i) => metric(p, active).then((n) => n - baseline[i])));
      return now[0] >= 1 && now[1] >= 1 && now[0] + now[1] === 4;
    });
    const quantity = 1000 + Math.floor(Math.random() * 1000);
    const update = await gql(
      'mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id } }',
      { i: { id: productId, stockQuantity: quantity } },
      { token: admin.accessToken, url: lbUrl },
    );
    expect(update.body.errors).toBeUndefined();
    for (const sub of subs) await sub.waitUntil((r) => r.data?.stockUpdated?.newQuantity === quantity);
  });

  it('keeps answering when one replica goes away', async () => {
    await gateways[1].close();
    for (let i = 0; i < 6; i++) {
      const res = await gql('{ __typename }', undefined, { url: lbUrl });
      expect(res.status, `request ${i}`).toBe(200);
    }
  });
});
