import type { ApolloServer } from '@apollo/server';
import type { AuthContext, Logger, TokenVerifier } from '@app/platform/core';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, type GraphQLSchema, print } from 'graphql';
import type { GatewayContext } from '../context.js';
import type { CallerIndependence } from './caller-independence.js';
import type { ConnectionExtra } from './connection-guard.js';
import type { RunAsSubscriber } from './live-topics.js';

export interface SharedExecutionOptions {
  apollo: ApolloServer<GatewayContext>;
  verifier: TokenVerifier;
  logger: Logger;
  /** Which selections answer the same whoever asks; without it, resolutions are shared per identity only. */
  independence?: CallerIndependence;
  /** The supergraph's API schema, to read the selections against. */
  schema: () => GraphQLSchema | undefined;
}

/**
 * Operations of the socket run through the gateway's own Apollo Server (query planning,
 * subgraph fetches with the subscriber's token). Per fan-out event (every listener gets the same
 * object): one token check per token, and one execution per query and variables, either for
 * everyone (a selection that answers the same whoever asks, run with no identity at all, so it
 * can carry nothing an anonymous caller may not see) or per identity (any other).
 */
export class SharedExecution {
  private readonly checked = new WeakMap<object, Map<string, Promise<unknown>>>();
  /** Per event: per query (the same string for every subscription of one document), per caller and variables. */
  private readonly shared = new WeakMap<object, Map<string, Map<string, Promise<ExecutionResult>>>>();

  constructor(private readonly options: SharedExecutionOptions) {}

  /** The token's check for this event, made once however many subscriptions hold the token. */
  verifyFor(event: object, token: string): Promise<unknown> {
    let checks = this.checked.get(event);
    if (!checks) this.checked.set(event, (checks = new Map()));
    let check = checks.get(token);
    if (!check) checks.set(token, (check = this.options.verifier.verify(token)));
    return check;
  }

  /** Whether one resolution of `query` may serve every subscriber, whoever they are. */
  private callerIndependent(query: string): boolean {
    const schema = this.options.schema();
    return !!schema && !!this.options.independence?.covers(schema, query);
  }

  /**
   * Runs a subscription's entity query as its subscriber, shared per event as above. The result
   * is shared too: a topic that changes it works on its own copy.
   */
  runner(auth: AuthContext | undefined, requestId: string): RunAsSubscriber {
    return (query, variables, event) => {
      if (!event) return this.execute(auth, requestId, query, variables);
      let byQuery = this.shared.get(event);
      if (!byQuery) this.shared.set(event, (byQuery = new Map()));
      let executions = byQuery.get(query);
      if (!executions) byQuery.set(query, (executions = new Map()));
      const everyone = this.callerIndependent(query);
      const key = JSON.stringify([everyone ? 'everyone' : [auth?.userId ?? null, auth?.scopes ?? null], variables]);
      let execution = executions.get(key);
      if (!execution) executions.set(key, (execution = this.execute(everyone ? undefined : auth, requestId, query, variables)));
      return execution;
    };
  }

  /** Queries and mutations over the socket: the same pipeline as HTTP. */
  async executeOperation(args: ExecutionArgs): Promise<ExecutionResult> {
    const extra = args.contextValue as ConnectionExtra;
    const response = await this.options.apollo.executeOperation(
      {
        query: print(args.document),
        variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined,
        operationName: args.operationName ?? undefined,
      },
      { contextValue: { auth: extra.auth, requestId: extra.requestId, logger: this.options.logger, clientIp: extra.ip } },
    );
    return response.body.kind === 'single'
      ? (response.body.singleResult as ExecutionResult)
      : { errors: [new GraphQLError('Incremental delivery is not supported over WebSocket')] };
  }

  private async execute(auth: AuthContext | undefined, requestId: string, query: string, variables: Record<string, unknown>) {
    const response = await this.options.apollo.executeOperation(
      { query, variables },
      { contextValue: { auth, requestId, logger: this.options.logger } },
    );
    if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
    return response.body.singleResult as ExecutionResult;
  }
}
