import { trace } from '@opentelemetry/api';
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import { endSpanWhenSettled, failSpan } from './settle-span.js';

/** Federation's SDL field: asked by tools, not by requests worth a span. */
const UNTRACED_FIELDS = new Set(['_service']);

/**
 * Wraps the resolvers of the root fields (Query, Mutation, and `_entities`, through which the
 * gateway resolves every entity reference) in a span each, active while the resolver runs, so
 * its use case's database calls and events hang under it. Root fields only: one span per field
 * of every entity in a list would cost more than it tells. Call with tracing on only: with it off
 * the schema keeps its resolvers as they are.
 */
export function traceRootResolvers(schema: GraphQLSchema): void {
  const tracer = trace.getTracer('@app/platform/graphql');
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (!resolve || UNTRACED_FIELDS.has(field.name)) continue;
      const name = `${type.name}.${field.name}`;
      const traced: GraphQLFieldResolver<unknown, unknown> = function (this: unknown, source, args, ctx, info) {
        const attributes = {
          'graphql.field.name': info.fieldName,
          'graphql.field.type': String(info.returnType),
          'graphql.operation.type': info.operation.operation,
          ...(info.operation.name ? { 'graphql.operation.name': info.operation.name.value } : {}),
        };
        return tracer.startActiveSpan(`resolve ${name}`, { attributes }, (span) => {
          try {
            return endSpanWhenSettled(span, resolve.call(this, source, args, ctx, info));
          } catch (err) {
            failSpan(span, err);
            span.end();
            throw err;
          }
        });
      };
      field.resolve = traced;
    }
  }
}
