import { bearerToken } from '@app/platform/core';

/**
 * The token of a graphql-ws `connection_init` payload `{ authorization: "Bearer <JWT>" }`, the key
 * matched case-insensitively and the value parsed as the HTTP header is (`bearerToken`, the one
 * Bearer parser). undefined: no key (anonymous); null: a key whose value is not "Bearer <token>".
 */
export function connectionToken(params: Record<string, unknown> | undefined): string | undefined | null {
  if (!params) return undefined;
  const key = Object.keys(params).find((k) => k.toLowerCase() === 'authorization');
  if (!key) return undefined;
  // A key with an empty value is refused too: the client named a credential it did not send.
  return bearerToken(String(params[key] ?? '')) || null;
}
