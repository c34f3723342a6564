import { z } from 'zod';
import { defineRoute, type ExecuteOperation } from '../route.js';
import { dateTime, int } from '../schemas.js';
import { displayMode, PREFERENCES_FIELDS, preferences, toPreferences, updateFrequency, upper } from './seed004-values.js';

/** How long `DELETE /api/users/me` waits for every service to confirm before answering 202. */
export const ERASURE_WAIT_MS = 10_000;
const ERASURE_POLL_MS = 100;

const DELETION_STATUS = {
  name: 'DeletionStatus',
  document: `query DeletionStatus($id: ID!) { deletionStatus(id: $id) { id completedAt } }`,
};

/** Polls the deletion until it completes or the wait is over; null when it is still running. */
async function waitForErasure(execute: ExecuteOperation, deletionId: string, waitMs: number): Promise<string | null> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    // Without the caller's token: it stops working once the auth service has erased the account.
    const { deletionStatus } = await execute(DELETION_STATUS, { id: deletionId }, { anonymous: true });
    if (deletionStatus?.completedAt) return deletionStatus.completedAt;
    await new Promise((r) => setTimeout(r, ERASURE_POLL_MS));
  }
  return null;
}

/** Seed 004's user routes (section 2.2) and `DELETE /api/data/all` (2.5). */
export function mapAccountRoutes(options: { erasureWaitMs?: number } = {}) {
  return [
    defineRoute({
      method: 'POST',
      path: '/api/users/initialize',
      summary: 'First-login set-up (seed 004); calling it again changes nothing already set',
      tag: 'relationship-map',
      auth: 'required',
      body: z.strictObject({ facebookUserId: z.string().nullish(), locale: z.string().nullish() }).optional(),
      operation: {
        name: 'InitializeUser',
        document: `mutation InitializeUser($input: InitializeUserInput) { initializeUser(input: $input) { id createdAt mapPreferences { ${PREFERENCES_FIELDS} } } }`,
      },
      variables: ({ body }) => ({ input: body ?? {} }),
      status: 201,
      result: ({ initializeUser: u }) => ({ userId: u.id, createdAt: u.createdAt, preferences: toPreferences(u.mapPreferences) }),
      response: z.object({ userId: z.uuid(), createdAt: z.string(), preferences }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/users/me',
      summary: 'The signed-in user with their map preferences (seed 004 shape)',
      tag: 'relationship-map',
      auth: 'required',
      operation: {
        name: 'MapUser',
        document: `query MapUser { me { id createdAt lastLoginAt facebook { connected } mapPreferences { ${PREFERENCES_FIELDS} } } }`,
      },
      variables: () => ({}),
      status: 200,
      quota: 'other',
      result: ({ me }) => ({
        userId: me.id,
        createdAt: me.createdAt,
        lastLoginAt: me.lastLoginAt,
        facebookConnected: me.facebook.connected,
        preferences: toPreferences(me.mapPreferences),
      }),
      response: z.object({
        userId: z.uuid(),
        createdAt: z.string(),
        lastLoginAt: z.string().nullable(),
        facebookConnected: z.boolean(),
        preferences,
      }),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/api/users/me/preferences',
      summary: 'Change map preferences (maxNodes 6, 9 or 12); fields left out stay as they are',
      tag: 'relationship-map',
      auth: 'required',
      body: z.strictObject({
        maxNodes: int('maxNodes').optional(),
        updateFrequency: updateFrequency.optional(),
        displayMode: displayMode.optional(),
      }),
      operation: {
        name: 'UpdateMapPreferences',
        document: `mutation UpdateMapPreferences($input: UpdateMapPreferencesInput!) { updateMapPreferences(input: $input) { ${PREFERENCES_FIELDS} updatedAt } }`,
      },
      variables: ({ body }) => ({
        input: { maxNodes: body.maxNodes, updateFrequency: upper(body.updateFrequency), displayMode: upper(body.displayMode) },
      }),
      status: 200,
      result: ({ updateMapPreferences: p }, { userId }) => ({ userId, preferences: toPreferences(p), updatedAt: p.updatedAt }),
      response: z.object({ userId: z.uuid(), preferences, updatedAt: z.string() }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/users/me',
      summary: 'Delete the account and its data in every service (GDPR): 200 when done within 10 s, else 202 with the deletion id',
      tag: 'relationship-map',
      auth: 'required',
      operation: { name: 'DeleteMe', document: `mutation DeleteMe { deleteMe { id completedAt } }` },
      variables: () => ({}),
      status: 200,
      respond: async ({ deleteMe }, _input, execute) => {
        const deletedAt = deleteMe.completedAt ?? (await waitForErasure(execute, deleteMe.id, options.erasureWaitMs ?? ERASURE_WAIT_MS));
        return deletedAt
          ? { status: 200, body: { message: 'User data deleted successfully', deletedAt } }
          : { status: 202, body: { message: 'Deletion is in progress; follow it with the deletionStatus query', deletionId: deleteMe.id } };
      },
      response: z.object({ message: z.string(), deletedAt: dateTime('deletedAt') }),
      otherResponses: {
        202: {
          description: 'Accepted: some service has not confirmed yet',
          schema: z.object({ message: z.string(), deletionId: z.uuid() }),
        },
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/data/all',
      summary: "Erase the caller's relationship-map data (maps, signals, Facebook link; preferences back to defaults); the account stays",
      tag: 'relationship-map',
      auth: 'required',
      operation: { name: 'DeleteAllData', document: `mutation DeleteAllData { deleteAllData }` },
      variables: () => ({}),
      status: 200,
      result: () => ({ message: 'All user data deleted', deletedAt: new Date().toISOString() }),
      response: z.object({ message: z.string(), deletedAt: dateTime('deletedAt') }),
    }),
  ];
}
