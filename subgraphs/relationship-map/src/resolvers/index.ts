import type { GraphQLResolverMap } from '@apollo/subgraph';
import { DateTimeScalar, ForbiddenError, isAdmin, requireAuth, type SubgraphContext } from '@app/platform';
import type { RelationshipMapDeps } from '../deps.js';
import type { RelationshipMap } from '../entities/index.js';
import { OBSERVATION_TEXT_TEMPLATES } from '../map/observation-texts.js';
import { renderMapSvg } from '../svg/render-map-svg.js';
import { connectFacebook } from '../usecases/connect-facebook.js';
import { deleteAllData } from '../usecases/delete-all-data.js';
import { disconnectFacebook } from '../usecases/disconnect-facebook.js';
import { generateMap } from '../usecases/generate-map.js';
import { getAggregateSignals } from '../usecases/get-aggregate-signals.js';
import { getFacebookConnection } from '../usecases/get-facebook-connection.js';
import { getMapPreferences } from '../usecases/get-map-preferences.js';
import { getRelationshipMap } from '../usecases/get-relationship-map.js';
import { listRelationshipMaps } from '../usecases/list-relationship-maps.js';
import { updateMapPreferences } from '../usecases/update-map-preferences.js';

type Ctx = SubgraphContext;
// biome-ignore lint/suspicious/noExplicitAny: GraphQL arguments, validated by each use case (zod) before use
type Args = Record<string, any>;
type UserRef = { id: string };

const me = (ctx: Ctx) => requireAuth(ctx).userId;

/** Everything here is personal: the user themself, or an admin. */
function ownerOf(user: UserRef, ctx: Ctx, what: string): string {
  const auth = requireAuth(ctx);
  if (auth.userId !== user.id && !isAdmin(auth)) throw new ForbiddenError(`You may not read another user's ${what}`);
  return user.id;
}

/** The public path of a map's picture, on the gateway (the REST facade serves it). */
export const svgPath = (mapId: string) => `/api/map/${mapId}.svg`;

export function createResolvers(deps: RelationshipMapDeps): GraphQLResolverMap<Ctx> {
  return {
    DateTime: DateTimeScalar,
    Query: {
      relationshipMap: (_: unknown, args: Args, ctx: Ctx) => getRelationshipMap(deps, me(ctx), args.id),
      observationTextTemplates: (_: unknown, __: Args, ctx: Ctx) => {
        requireAuth(ctx);
        return { near: OBSERVATION_TEXT_TEMPLATES.NEAR, mid: OBSERVATION_TEXT_TEMPLATES.MID, far: OBSERVATION_TEXT_TEMPLATES.FAR };
      },
      aggregateSignals: (_: unknown, args: Args, ctx: Ctx) => getAggregateSignals(deps, me(ctx), args.windowDays),
    },
    Mutation: {
      updateMapPreferences: (_: unknown, args: Args, ctx: Ctx) => updateMapPreferences(deps, me(ctx), args.input),
      connectFacebook: (_: unknown, args: Args, ctx: Ctx) => connectFacebook(deps, me(ctx), args.input),
      disconnectFacebook: (_: unknown, __: Args, ctx: Ctx) => disconnectFacebook(deps, me(ctx)),
      generateMap: (_: unknown, args: Args, ctx: Ctx) => generateMap(deps, me(ctx), args.input),
      deleteAllData: async (_: unknown, __: Args, ctx: Ctx) => {
        await deleteAllData(deps, me(ctx));
        return true;
      },
    },
    User: {
      __resolveReference(ref: UserRef, ctx: Ctx) {
        requireAuth(ctx);
        return ref;
      },
      mapPreferences: (user: UserRef, _: Args, ctx: Ctx) => getMapPreferences(deps, ownerOf(user, ctx, 'map preferences')),
      facebook: (user: UserRef, _: Args, ctx: Ctx) => getFacebookConnection(deps, ownerOf(user, ctx, 'Facebook connection')),
      relationshipMaps: (user: UserRef, args: Args, ctx: Ctx) => listRelationshipMaps(deps, ownerOf(user, ctx, 'maps'), args),
    },
    RelationshipMap: {
      svgUrl: (map: RelationshipMap) => svgPath(map.id),
      svg: async (map: RelationshipMap) => renderMapSvg(map, { displayMode: (await getMapPreferences(deps, map.userId)).displayMode }),
    },
  };
}
