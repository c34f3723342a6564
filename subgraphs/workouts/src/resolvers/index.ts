import type { GraphQLResolverMap } from '@apollo/subgraph';
import { DateTimeScalar, ForbiddenError, isAdmin, parseInput, requireAuth, type SubgraphContext } from '@app/platform';
import DataLoader from 'dataloader';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { BodyMetric, Exercise, Workout, WorkoutSet } from '../entities/index.js';
import { uuid } from '../inputs.js';
import { addWorkoutSet } from '../usecases/add-workout-set.js';
import { createBodyMetric } from '../usecases/create-body-metric.js';
import { createExercise } from '../usecases/create-exercise.js';
import { createWorkout } from '../usecases/create-workout.js';
import { deleteBodyMetric } from '../usecases/delete-body-metric.js';
import { deleteExercise } from '../usecases/delete-exercise.js';
import { deleteWorkout } from '../usecases/delete-workout.js';
import { deleteWorkoutSet } from '../usecases/delete-workout-set.js';
import { endWorkout } from '../usecases/end-workout.js';
import { findOngoingWorkout } from '../usecases/find-ongoing-workout.js';
import { getExercise } from '../usecases/get-exercise.js';
import { getWorkoutDetail } from '../usecases/get-workout-detail.js';
import { listBodyMetrics } from '../usecases/list-body-metrics.js';
import { listExercises } from '../usecases/list-exercises.js';
import { listWorkouts } from '../usecases/list-workouts.js';
import { type ExerciseKey, loadSetExercises } from '../usecases/load-set-exercises.js';
import { loadWorkoutSets, type WorkoutKey } from '../usecases/load-workout-sets.js';
import { updateBodyMetric } from '../usecases/update-body-metric.js';
import { updateExercise } from '../usecases/update-exercise.js';
import { updateWorkout } from '../usecases/update-workout.js';
import { updateWorkoutSet } from '../usecases/update-workout-set.js';

export interface WorkoutsGraphQLContext extends SubgraphContext {
  /** `Workout.sets` of a whole page in one query. */
  setsOfWorkout: DataLoader<WorkoutKey, WorkoutSet[], string>;
  /** `WorkoutSet.exercise` of every set in the response in one query. */
  exerciseOfSet: DataLoader<ExerciseKey, Exercise, string>;
}

export function buildContext(deps: WorkoutsDeps) {
  return (base: SubgraphContext): WorkoutsGraphQLContext => ({
    ...base,
    setsOfWorkout: new DataLoader((keys) => loadWorkoutSets(deps, keys), { cacheKeyFn: (k) => `${k.userId}:${k.workoutId}` }),
    exerciseOfSet: new DataLoader((keys) => loadSetExercises(deps, keys), { cacheKeyFn: (k) => `${k.userId}:${k.id}` }),
  });
}

type UserRef = { id: string };
type Ctx = WorkoutsGraphQLContext;
type Args = Record<string, unknown>;

const userRefInput = z.object({ id: uuid('User id') });
const me = (ctx: Ctx) => requireAuth(ctx).userId;

/** GraphQL -> use cases. The caller's user id always comes from the verified token. */
export function createResolvers(deps: WorkoutsDeps): GraphQLResolverMap<Ctx> {
  return {
    DateTime: DateTimeScalar,
    Query: {
      workouts: (_: unknown, args: Args, ctx: Ctx) => listWorkouts(deps, me(ctx), args),
      workout: (_: unknown, args: Args, ctx: Ctx) => getWorkoutDetail(deps, me(ctx), args.id),
      ongoingWorkout: (_: unknown, __: Args, ctx: Ctx) => findOngoingWorkout(deps, me(ctx)),
      exercises: (_: unknown, args: Args, ctx: Ctx) => listExercises(deps, me(ctx), args),
      exercise: (_: unknown, args: Args, ctx: Ctx) => getExercise(deps, me(ctx), args.id),
      bodyMetrics: (_: unknown, args: Args, ctx: Ctx) => listBodyMetrics(deps, me(ctx), args),
    },
    Mutation: {
      createWorkout: (_: unknown, args: Args, ctx: Ctx) => createWorkout(deps, me(ctx), args.input),
      updateWorkout: (_: unknown, args: Args, ctx: Ctx) => updateWorkout(deps, me(ctx), args.id, args.input),
      endWorkout: (_: unknown, args: Args, ctx: Ctx) => endWorkout(deps, me(ctx), args.id, args.endedAt),
      deleteWorkout: (_: unknown, args: Args, ctx: Ctx) => deleteWorkout(deps, me(ctx), args.id),
      addWorkoutSet: (_: unknown, args: Args, ctx: Ctx) => addWorkoutSet(deps, me(ctx), args.workoutId, args.input),
      updateWorkoutSet: (_: unknown, args: Args, ctx: Ctx) => updateWorkoutSet(deps, me(ctx), args.id, args.input),
      deleteWorkoutSet: (_: unknown, args: Args, ctx: Ctx) => deleteWorkoutSet(deps, me(ctx), args.id),
      createExercise: (_: unknown, args: Args, ctx: Ctx) => createExercise(deps, me(ctx), args.input),
      updateExercise: (_: unknown, args: Args, ctx: Ctx) => updateExercise(deps, me(ctx), args.id, args.input),
      deleteExercise: (_: unknown, args: Args, ctx: Ctx) => deleteExercise(deps, me(ctx), args.id),
      createBodyMetric: (_: unknown, args: Args, ctx: Ctx) => createBodyMetric(deps, me(ctx), args.input),
      updateBodyMetric: (_: unknown, args: Args, ctx: Ctx) => updateBodyMetric(deps, me(ctx), args.id, args.input),
      deleteBodyMetric: (_: unknown, args: Args, ctx: Ctx) => deleteBodyMetric(deps, me(ctx), args.id),
    },
    User: {
      __resolveReference(ref: UserRef, ctx: Ctx) {
        requireAuth(ctx);
        return ref;
      },
      /** A user's workouts are theirs (and admins') to read: anyone else gets FORBIDDEN. */
      workouts(user: UserRef, args: Args, ctx: Ctx) {
        const auth = requireAuth(ctx);
        if (auth.userId !== user.id && !isAdmin(auth)) throw new ForbiddenError("You may not read another user's workouts");
        const { id } = parseInput(userRefInput, { id: user.id });
        return listWorkouts(deps, id, args);
      },
    },
    Workout: {
      sets: (w: Workout, _: Args, ctx: Ctx) => ctx.setsOfWorkout.load({ workoutId: w.id, userId: w.userId }),
    },
    WorkoutSet: {
      workoutId: (s: WorkoutSet) => s.workout,
      weightKg: (s: WorkoutSet) => (s.weightKg == null ? null : Number(s.weightKg)),
      exercise: (s: WorkoutSet, _: Args, ctx: Ctx) => ctx.exerciseOfSet.load({ id: s.exercise, userId: s.userId }),
    },
    Exercise: {
      isGlobal: (e: Exercise) => e.ownerId === null,
    },
    BodyMetric: {
      weightKg: (m: BodyMetric) => Number(m.weightKg),
      bodyFatPct: (m: BodyMetric) => (m.bodyFatPct == null ? null : Number(m.bodyFatPct)),
    },
  };
}
