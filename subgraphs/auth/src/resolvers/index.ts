import type { GraphQLResolverMap } from '@apollo/subgraph';
import { DateTimeScalar, isAdmin, isUuid, requireAdmin, requireAuth, type SubgraphContext } from '@app/platform';
import DataLoader from 'dataloader';
import type { AuthDeps } from '../deps.js';
import { currentClientAddress } from '../internal/client-address.js';
import { findUsers, type UserView } from '../usecases/find-users.js';
import { lineLogin } from '../usecases/line-login.js';
import { login } from '../usecases/login.js';
import { logout } from '../usecases/logout.js';
import { refreshSession } from '../usecases/refresh-session.js';
import { registerUser } from '../usecases/register-user.js';
import { rotateSigningKey } from '../usecases/rotate-signing-key.js';

export interface AuthGraphQLContext extends SubgraphContext {
  users: DataLoader<string, UserView | null>;
  /** The account a register/login/lineLogin in this request acted for: it may see its own email. */
  actingUserId?: string;
  /** Who is calling (see internal/client-address.ts), for the login throttle. */
  clientAddress: string;
}

export function buildContext(deps: AuthDeps) {
  return (base: SubgraphContext): AuthGraphQLContext => ({
    ...base,
    // Unknown only outside an HTTP request; such callers then share one count (the strict side).
    clientAddress: currentClientAddress() ?? 'unknown',
    // One query for every User the gateway asks about in one request.
    users: new DataLoader((ids) => findUsers(deps, ids)),
  });
}

const canSeePrivate = (user: UserView, ctx: AuthGraphQLContext) =>
  ctx.actingUserId === user.id || ctx.auth?.userId === user.id || isAdmin(ctx.auth);

export function createResolvers(deps: AuthDeps): GraphQLResolverMap<AuthGraphQLContext> {
  return {
    DateTime: DateTimeScalar,
    User: {
      // Other subgraphs' entities point here; only signed-in callers may resolve accounts.
      __resolveReference(ref: { id: string }, ctx: AuthGraphQLContext) {
        requireAuth(ctx);
        return isUuid(ref.id) ? ctx.users.load(ref.id) : null;
      },
      email: (user: UserView, _: unknown, ctx: AuthGraphQLContext) => (canSeePrivate(user, ctx) ? user.email : null),
      lineUserId: (user: UserView, _: unknown, ctx: AuthGraphQLContext) => (canSeePrivate(user, ctx) ? user.lineUserId : null),
    },
    Mutation: {
      async register(_: unknown, { input }: { input: unknown }, ctx: AuthGraphQLContext) {
        const user = await registerUser(deps, input);
        ctx.actingUserId = user.id;
        return user;
      },
      async login(_: unknown, { input }: { input: unknown }, ctx: AuthGraphQLContext) {
        const payload = await login(deps, input, ctx.clientAddress);
        ctx.actingUserId = payload.user.id;
        return payload;
      },
      async lineLogin(_: unknown, { input }: { input: unknown }, ctx: AuthGraphQLContext) {
        const payload = await lineLogin(deps, input);
        ctx.actingUserId = payload.user.id;
        return payload;
      },
      async refreshToken(_: unknown, args: { refreshToken: string }, ctx: AuthGraphQLContext) {
        const payload = await refreshSession(deps, args);
        ctx.actingUserId = payload.user.id;
        return payload;
      },
      logout: (_: unknown, args: { refreshToken?: string | null }, ctx: AuthGraphQLContext) =>
        logout(deps, requireAuth(ctx), args.refreshToken),
      rotateSigningKey(_: unknown, __: unknown, ctx: AuthGraphQLContext) {
        requireAdmin(ctx);
        return rotateSigningKey(deps);
      },
    },
  };
}
