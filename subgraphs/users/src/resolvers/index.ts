import type { GraphQLResolverMap } from '@apollo/subgraph';
import { DateTimeScalar, ForbiddenError, isAdmin, requireAuth, type SubgraphContext } from '@app/platform';
import DataLoader from 'dataloader';
import type { UsersDeps } from '../deps.js';
import type { ProfileView } from '../profile-store.js';
import { deleteMe } from '../usecases/delete-me.js';
import { toDeletionStatusView } from '../usecases/deletion-status-view.js';
import { getDeletionStatus } from '../usecases/get-deletion-status.js';
import { initializeUser } from '../usecases/initialize-user.js';
import { updateProfile } from '../usecases/update-profile.js';

export interface UsersGraphQLContext extends SubgraphContext {
  profiles: DataLoader<string, ProfileView>;
}

export function buildContext(deps: UsersDeps) {
  return (base: SubgraphContext): UsersGraphQLContext => ({
    ...base,
    profiles: new DataLoader((ids) => deps.profiles.loadMany(ids)),
  });
}

type UserRef = { id: string };

/** A profile is personal data: the user themself and admins only. */
function ownView(user: UserRef, ctx: UsersGraphQLContext): Promise<ProfileView> {
  const auth = requireAuth(ctx);
  if (auth.userId !== user.id && !isAdmin(auth)) throw new ForbiddenError("You may not read another user's profile");
  return ctx.profiles.load(user.id);
}

export function createResolvers(deps: UsersDeps): GraphQLResolverMap<UsersGraphQLContext> {
  return {
    DateTime: DateTimeScalar,
    Query: {
      me: (_: unknown, __: unknown, ctx: UsersGraphQLContext): UserRef => ({ id: requireAuth(ctx).userId }),
      deletionStatus: (_: unknown, { id }: { id: string }) => getDeletionStatus(deps, id),
    },
    User: {
      __resolveReference(ref: UserRef, ctx: UsersGraphQLContext) {
        requireAuth(ctx);
        return ref;
      },
      profile: async (user: UserRef, _: unknown, ctx: UsersGraphQLContext) => (await ownView(user, ctx)).profile,
      lastLoginAt: async (user: UserRef, _: unknown, ctx: UsersGraphQLContext) => (await ownView(user, ctx)).lastLoginAt,
    },
    Mutation: {
      updateProfile: (_: unknown, { input }: { input: unknown }, ctx: UsersGraphQLContext) =>
        updateProfile(deps, requireAuth(ctx).userId, input),
      initializeUser: (_: unknown, { input }: { input: unknown }, ctx: UsersGraphQLContext) =>
        initializeUser(deps, requireAuth(ctx).userId, input),
      deleteMe: async (_: unknown, __: unknown, ctx: UsersGraphQLContext) =>
        toDeletionStatusView(await deleteMe(deps, requireAuth(ctx).userId)),
    },
  };
}
