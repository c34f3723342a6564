/**
 * A gateway configured for LINE (the bench's fake LINE in the environment: LINE_CHANNEL_SECRET,
 * LINE_CHANNEL_ACCESS_TOKEN, LINE_API_URL, INTERNAL_API_KEY), in its own process, over the running
 * subgraphs. Usage: line-gateway-process.ts <subgraph urls as JSON>. Prints `{ url }` when listening.
 */
const [urlsJson] = process.argv.slice(2);
const subgraphUrls = JSON.parse(urlsJson!) as Record<string, string>;
const { buildGateway, loadGatewayConfig, subgraphUrlEnv } = await import('@app/gateway');
const env: Record<string, string | undefined> = {
  ...process.env,
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
  AUTH_JWKS_URL: `${subgraphUrls.auth}/.well-known/jwks.json`,
  AUTH_INTERNAL_URL: subgraphUrls.auth,
};
const gateway = await buildGateway({ config: loadGatewayConfig({ ...env, ...subgraphUrlEnv(subgraphUrls) }) });
const port = await gateway.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
process.on('SIGTERM', async () => {
  await gateway.close();
  process.exit(0);
});
