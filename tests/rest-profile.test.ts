/**
 * Seed 000's BFF flow: the front end sends `POST /api/profile` with nothing but the
 * `access_token` cookie; the BFF runs the profile update as that user; the users service
 * UPDATEs, then `DEL profile:{user_id}`; the BFF answers 200 `{ success: true, profile }` in
 * camelCase. Redis MONITOR shows the invalidation as it happens.
 */
import { randomBytes } from 'node:crypto';
import { RedisCache } from '@app/platform';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, unique } from './support/client.js';
import { redisCommandsDuring } from './support/redis-monitor.js';
import { type RestResponse, rest, setCookies } from './support/rest.js';

let cache: RedisCache;
beforeAll(() => {
  cache = RedisCache.connect(inject('env').REDIS_URL);
});
afterAll(() => cache?.close());

/** A fresh account signed in the browser way: the session exists only as cookies. */
async function cookieSession() {
  const username = unique('bff').slice(0, 30);
  const password = `pw-${randomBytes(6).toString('hex')}-7`;
  const registered = await rest('POST', '/api/auth/register', { body: { username, email: `${username}@example.com`, password } });
  expect(registered.status).toBe(201);
  const login = await rest('POST', '/api/auth/login', { body: { usernameOrEmail: username, password } });
  expect(login.status).toBe(200);
  expect(login.text).not.toMatch(/eyJ/); // the token stays out of the page's reach
  return { id: registered.body.id as string, cookie: `access_token=${setCookies(login.headers).access_token.value}` };
}

describe('POST /api/profile (seed 000 BFF)', () => {
  it('with only the access_token cookie: 200 { success, profile }, read back by GET, profile:{id} invalidated', async () => {
    const user = await cookieSession();
    const key = `profile:${user.id}`;

    // A read fills the shared cache (seed 001: cache-aside profile:{user_id}). Not a read that began
    // before the profile's last invalidation (its creation, and the second invalidation a moment
    // later): the cache never stores what may be stale, so read until one is stored.
    const before = await rest('GET', '/api/profile', { cookie: user.cookie });
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ id: user.id, firstName: null, lastName: null });
    const warm = await eventually(
      async () => (await cache.get(key)) ?? void (await rest('GET', '/api/profile', { cookie: user.cookie })),
      10_000,
      200,
    );
    expect(JSON.parse(warm).profile.firstName).toBeNull();

    let res!: RestResponse;
    const commands = await redisCommandsDuring(inject('env').REDIS_URL, async () => {
      res = await rest('POST', '/api/profile', { cookie: user.cookie, body: { firstName: 'John', lastName: 'Doe' } });
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      profile: { id: user.id, firstName: 'John', lastName: 'Doe', displayName: null, pictureUrl: null, locale: 'ja-JP' },
    });
    // The write deleted the cached profile (seed 000: DEL profile:{user_id})...
    expect(commands).toContainEqual(['del', key]);
    // ...so the shared entry is gone or already refilled with the new profile, never the old one.
    const after = await cache.get(key);
    if (after !== null) expect(JSON.parse(after).profile).toMatchObject({ firstName: 'John', lastName: 'Doe' });

    const read = await rest('GET', '/api/profile', { cookie: user.cookie });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body.profile);
  });

  it('answers like PUT: 401 without credentials, 400 naming a bad field, and nothing changes', async () => {
    const user = await cookieSession();
    const anonymous = await rest('POST', '/api/profile', { body: { firstName: 'Nobody' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ code: 'UNAUTHENTICATED', requestId: expect.any(String) });

    const bad = await rest('POST', '/api/profile', { cookie: user.cookie, body: { firstName: 'Jane', pictureUrl: 'javascript:alert(1)' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.validationErrors).toEqual([expect.objectContaining({ field: 'pictureUrl' })]);
    const unknown = await rest('POST', '/api/profile', { cookie: user.cookie, body: { first_name: 'Jane' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details.validationErrors).toEqual([expect.objectContaining({ field: 'first_name' })]);

    expect((await rest('GET', '/api/profile', { cookie: user.cookie })).body.firstName).toBeNull();
  });

  it('is in /api/openapi.json beside the PUT, with the same body and answer', async () => {
    const { body: doc } = await rest('GET', '/api/openapi.json');
    const { put, post } = doc.paths['/api/profile'];
    expect(post.operationId).not.toBe(put.operationId);
    expect(post.requestBody).toEqual(put.requestBody);
    expect(post.responses['200']).toEqual(put.responses['200']);
    expect(post.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
  });
});
