import { randomBytes } from 'node:crypto';
import { FREE_PORTS, startPlatform } from '../scripts/platform.js';
import { graphql } from '../bench/lib.js';

const ns = `probe${randomBytes(3).toString('hex')}`;
const platform = await startPlatform({ env: { LOG_LEVEL: 'warn', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', REDIS_URL: 'redis://127.0.0.1:6379', NATS_URL: 'nats://127.0.0.1:4222', NATS_NAMESPACE: ns, ADMIN_USERNAME: 'bench_admin', ADMIN_PASSWORD: 'bench-admin-password-1', SCRYPT_COST: '4096' }, ports: FREE_PORTS, dataDir: null });
const url = platform.gatewayUrl;
const login = async (u: string, p: string) => (await graphql(url, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { usernameOrEmail: u, password: p } })).login.accessToken;
const admin = await login('bench_admin', 'bench-admin-password-1');
const { createProduct } = await graphql(url, 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { name: `probe ${ns}`, price: 3, stockQuantity: 100000 } }, admin);
await new Promise((r) => setTimeout(r, 500));
const times = new Map<string, number>();
let t0 = 0;
await platform.bus.onBroadcast('live.order.updated', async (e) => {
  console.log(`  +${(performance.now() - t0).toFixed(1)} ms v${e.data.version} ${e.data.status} ${e.data.sagaState?.state ?? ''} ${e.data.sagaState?.currentStep ?? ''}`);
});
for (let i = 0; i < 5; i++) {
  t0 = performance.now();
  const { createOrder } = await graphql(url, 'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }', { i: { items: [{ productId: createProduct.id, quantity: 1 }] } }, admin);
  console.log(`order ${i} created +${(performance.now() - t0).toFixed(1)} ms`);
  await new Promise((r) => setTimeout(r, 1500));
}
await platform.close();
const { NatsEventBus } = await import('@app/events');
const bus = await NatsEventBus.connect({ url: 'nats://127.0.0.1:4222', namespace: ns });
await bus.deleteNamespaceStreams(); await bus.close();
