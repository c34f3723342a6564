import type { RestRoute } from './route.js';
import { type AccountRouteOptions, accountRoutes } from './routes/account.js';
import { bodyMetricRoutes } from './routes/body-metrics.js';
import { exerciseRoutes } from './routes/exercises.js';
import { mapAccountRoutes } from './routes/map-account.js';
import { relationshipMapRoutes } from './routes/relationship-map.js';
import { workoutRoutes } from './routes/workouts.js';

/** Every REST route of the facade: the one list that is executed and documented. */
export function routeTable(options: AccountRouteOptions & { erasureWaitMs?: number }): RestRoute[] {
  return [
    ...accountRoutes(options),
    ...workoutRoutes,
    ...exerciseRoutes,
    ...bodyMetricRoutes,
    ...mapAccountRoutes({ erasureWaitMs: options.erasureWaitMs }),
    ...relationshipMapRoutes,
  ];
}
