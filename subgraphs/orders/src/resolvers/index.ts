import type { GraphQLResolverMap } from '@apollo/subgraph';
import { adminOnly, DateTimeScalar, DecimalScalar, ForbiddenError, isAdmin, requireAuth, type SubgraphContext } from '@app/platform';
import type { OrdersDeps } from '../deps.js';
import { cancelOrder } from '../usecases/cancel-order.js';
import { createOrder } from '../usecases/create-order.js';
import { deliverOrder } from '../usecases/deliver-order.js';
import { getOrder } from '../usecases/get-order.js';
import { getSagaStatus } from '../usecases/get-saga-status.js';
import { listUserOrders } from '../usecases/list-user-orders.js';
import { shipOrder } from '../usecases/ship-order.js';
import type { OrderItemView, OrderView } from '../views.js';

type Ctx = SubgraphContext;
type Args = Record<string, unknown>;
type Ref = { id: string };

/** GraphQL -> use cases. The caller's user id always comes from the verified token. */
export function createResolvers(deps: OrdersDeps): GraphQLResolverMap<Ctx> {
  return {
    DateTime: DateTimeScalar,
    Decimal: DecimalScalar,
    Query: {
      order: (_: unknown, args: Args, ctx: Ctx) => getOrder(deps, requireAuth(ctx), args.id),
      userOrders: (_: unknown, args: Args, ctx: Ctx) => listUserOrders(deps, requireAuth(ctx), args),
      sagaStatus: (_: unknown, args: Args, ctx: Ctx) => getSagaStatus(deps, requireAuth(ctx), args.orderId),
    },
    Mutation: {
      createOrder: (_: unknown, args: Args, ctx: Ctx) => createOrder(deps, requireAuth(ctx), args.input),
      cancelOrder: (_: unknown, args: Args, ctx: Ctx) => cancelOrder(deps, requireAuth(ctx), args.input),
      shipOrder: adminOnly((args: Args) => shipOrder(deps, args.orderId)),
      deliverOrder: adminOnly((args: Args) => deliverOrder(deps, args.orderId)),
    },
    User: {
      __resolveReference(ref: Ref, ctx: Ctx) {
        requireAuth(ctx);
        return ref;
      },
      /** A user's orders are theirs (and admins') to read: anyone else gets FORBIDDEN. */
      orders(user: Ref, args: Args, ctx: Ctx) {
        const auth = requireAuth(ctx);
        if (auth.userId.toLowerCase() !== String(user.id).toLowerCase() && !isAdmin(auth))
          throw new ForbiddenError("You may not read another user's orders");
        return listUserOrders(deps, auth, { ...args, userId: user.id });
      },
    },
    Order: {
      /** Other subgraphs' references: visible to the owner or an admin, null otherwise. */
      __resolveReference: (ref: Ref, ctx: Ctx) => getOrder(deps, requireAuth(ctx), ref.id),
      user: (o: OrderView) => ({ __typename: 'User', id: o.userId }),
    },
    OrderItem: {
      product: (i: OrderItemView) => ({ __typename: 'Product', id: i.productId }),
    },
  };
}
