import { it, inject } from 'vitest';
import { auditServer } from 'graphql-http';
it('probe', async () => {
  const results = await auditServer({ url: inject('gatewayUrl') });
  for (const r of results) if (r.status !== 'ok') console.log(r.status, r.name, r.reason, r.response.status, await r.response.clone().text().catch(() => ''));
  console.log(results.length);
});
