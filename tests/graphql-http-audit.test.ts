/**
 * GraphQL-over-HTTP conformance of the gateway, with graphql-http's own server audits:
 * every MUST passes and no SHOULD warns. MAY audits are informational: the ones that fail
 * are about CSRF prevention refusing simple GETs, which the platform wants.
 */
import { type AuditResult, serverAudits } from 'graphql-http';
import { beforeAll, describe, expect, inject, it } from 'vitest';

type Failed = Extract<AuditResult, { status: 'notice' | 'warn' | 'error' }>;

async function describeFailure(result: Failed): Promise<string> {
  let body = '';
  try {
    body = await result.response.clone().text();
  } catch {
    body = '(body not readable)';
  }
  return `- [${result.status}] ${result.name} (${result.id})\n  reason: ${result.reason}\n  response: ${result.response.status} ${result.response.headers.get('content-type') ?? ''} ${body.slice(0, 500)}`;
}

describe('graphql-http server audits against the gateway', () => {
  let results: AuditResult[];

  beforeAll(async () => {
    const audits = serverAudits({ url: inject('gatewayUrl') });
    expect(audits.length).toBeGreaterThan(30);
    results = [];
    for (const audit of audits) results.push(await audit.fn());
  });

  it('passes every MUST audit', async () => {
    const must = results.filter((r) => r.name.startsWith('MUST'));
    expect(must.length).toBeGreaterThan(5);
    const failed = must.filter((r): r is Failed => r.status !== 'ok');
    const messages = await Promise.all(failed.map(describeFailure));
    expect(failed.filter((r) => r.status === 'error').length, `MUST audits failing:\n${messages.join('\n')}`).toBe(0);
    expect(messages, 'MUST audits not ok').toEqual([]);
  });

  it('raises no warning on any SHOULD audit', async () => {
    const should = results.filter((r) => r.name.startsWith('SHOULD'));
    expect(should.length).toBeGreaterThan(5);
    const warned = should.filter((r): r is Failed => r.status === 'warn' || r.status === 'error');
    const messages = await Promise.all(warned.map(describeFailure));
    expect(warned.length, `SHOULD audits warning:\n${messages.join('\n')}`).toBe(0);
  });

  it('no audit of any level reports an error', async () => {
    const errors = results.filter((r): r is Failed => r.status === 'error');
    const messages = await Promise.all(errors.map(describeFailure));
    expect(errors.length, messages.join('\n')).toBe(0);
  });

  it('the only MAY notices come from CSRF prevention refusing simple GET requests', async () => {
    const notices = results.filter((r): r is Failed => r.status === 'notice');
    const unexplained: string[] = [];
    for (const notice of notices) {
      const body = await notice.response
        .clone()
        .text()
        .catch(() => '');
      if (!/Cross-Site Request Forgery/.test(body)) unexplained.push(await describeFailure(notice));
    }
    expect(unexplained, `MAY notices other than CSRF refusals:\n${unexplained.join('\n')}`).toEqual([]);
  });
});
