import { AsyncResource } from 'node:async_hooks';

/**
 * The async context this module was loaded in, outside any request: what a process-long resource
 * (a socket, an interval) should be made in. Node keeps the context a handle or timer was made in
 * and runs its callbacks in it; made inside a request, it keeps that request's context alive (its
 * AsyncLocalStorage values: a MikroORM transaction and its EntityManager, the request's log
 * bindings) for as long as it lives, and hands it to whatever its callbacks start.
 */
export const outsideRequests = new AsyncResource('outside requests');
