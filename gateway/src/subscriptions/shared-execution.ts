import type { ApolloServer } from '@apollo/server';
import type { AuthContext, Logger, TokenVerifier } from '@app/platform';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, print } from 'graphql';
import type { GatewayContext } from '../context.js';
import type { ConnectionExtra } from './connection-guard.js';
import type { RunAsSubscriber } from './live-topics.js';

/**
 * Operations of the socket run through the gateway's own Apollo Server (query planning,
 * subgraph fetches with the subscriber's token). Per fan-out event (every listener gets the same
 * object): one token check per token, and one execution per identity and query.
 */
export class SharedExecution {
  private readonly checked = new WeakMap<object, Map<string, Promise<unknown>>>();
  private readonly shared = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

  constructor(
    private readonly apollo: ApolloServer<GatewayContext>,
    private readonly verifier: TokenVerifier,
    private readonly logger: Logger,
  ) {}

  /** The token's check for this event, made once however many subscriptions hold the token. */
  verifyFor(event: object, token: string): Promise<unknown> {
    let checks = this.checked.get(event);
    if (!checks) this.checked.set(event, (checks = new Map()));
    let check = checks.get(token);
    if (!check) checks.set(token, (check = this.verifier.verify(token)));
    return check;
  }

  /** Runs a subscription's entity query as its subscriber, shared by identity and query per event. */
  runner(auth: AuthContext | undefined, requestId: string): RunAsSubscriber {
    return async (query, variables, event) => {
      if (!event) return this.execute(auth, requestId, query, variables);
      let executions = this.shared.get(event);
      if (!executions) this.shared.set(event, (executions = new Map()));
      const key = JSON.stringify([auth?.userId ?? null, auth?.scopes ?? null, query, variables]);
      let execution = executions.get(key);
      if (!execution) executions.set(key, (execution = this.execute(auth, requestId, query, variables)));
      // Topics lay the event over `data`: each subscriber gets its own copy (errors are only read).
      const result = await execution;
      return result.data ? { ...result, data: structuredClone(result.data) } : result;
    };
  }

  /** Queries and mutations over the socket: the same pipeline as HTTP. */
  async executeOperation(args: ExecutionArgs): Promise<ExecutionResult> {
    const extra = args.contextValue as ConnectionExtra;
    const response = await this.apollo.executeOperation(
      {
        query: print(args.document),
        variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined,
        operationName: args.operationName ?? undefined,
      },
      { contextValue: { auth: extra.auth, requestId: extra.requestId, logger: this.logger, clientIp: extra.ip } },
    );
    return response.body.kind === 'single'
      ? (response.body.singleResult as ExecutionResult)
      : { errors: [new GraphQLError('Incremental delivery is not supported over WebSocket')] };
  }

  private async execute(auth: AuthContext | undefined, requestId: string, query: string, variables: Record<string, unknown>) {
    const response = await this.apollo.executeOperation({ query, variables }, { contextValue: { auth, requestId, logger: this.logger } });
    if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
    return response.body.singleResult as ExecutionResult;
  }
}
