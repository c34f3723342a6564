import { describe, expect, it } from 'vitest';
import { gql, registerAndLogin } from './support/client.js';

describe('smoke', () => {
  it('a registered user reads me through the gateway', async () => {
    const user = await registerAndLogin('smoke');
    const res = await gql(`{ me { id username profile { locale } } }`, {}, { token: user.accessToken });
    expect(res.body).toEqual({ data: { me: { id: user.id, username: user.username, profile: { locale: 'ja-JP' } } } });
  });
});
