/**
 * Apollo Gateway keeps each document's query plan, but builds the federation `Operation` of the
 * document again on every request, only to shape the subgraphs' answers into the response
 * (`executeQueryPlan` -> `operationFromDocument(apiSchema, { operation, ...fragments },
 * { validate: false })`): about 2% of the gateway's CPU under `me`. The Operation is a function of
 * the schema and the document alone (variables are applied while shaping, per request) and the
 * shaping only reads it, so it is built once per document here, like the plan.
 *
 * Keyed by the operation's AST node, which Apollo Server's document store hands out again for
 * every request of the same query (a document parsed anew is a new key: built again, and the
 * old entry goes with its node), and checked against the schema and the fragment nodes, so a
 * schema update (a new supergraph) builds anew. Every other call (the planner's, which
 * validates) goes through unchanged.
 *
 * Relies on `@apollo/federation-internals` (the version pinned in package.json) exporting
 * `operationFromDocument` from its `dist/operations` module as a writable property that its
 * index re-exports through a getter; when that is not so, nothing is changed.
 */
import { createRequire } from 'node:module';
import type { DefinitionNode, DocumentNode, OperationDefinitionNode } from 'graphql';

type OperationFromDocument = (schema: object, document: DocumentNode, options?: { operationName?: string; validate?: boolean }) => unknown;

interface Built {
  schema: object;
  fragments: readonly DefinitionNode[];
  operation: unknown;
}

const require = createRequire(import.meta.url);

const sameNodes = (a: readonly DefinitionNode[], b: readonly DefinitionNode[]) =>
  a.length === b.length && a.every((node, i) => node === b[i]);

/** Replaces the library's operationFromDocument with one that keeps the gateway's execution calls' answers; false: not possible (nothing changed). */
export function reuseOperations(): boolean {
  const operations = require('@apollo/federation-internals/dist/operations') as { operationFromDocument?: OperationFromDocument };
  const index = require('@apollo/federation-internals') as { operationFromDocument?: OperationFromDocument };
  const original = operations.operationFromDocument;
  if (typeof original !== 'function' || index.operationFromDocument !== original) return false;
  if ((original as { reused?: boolean }).reused) return true;

  const built = new WeakMap<OperationDefinitionNode, Built>();
  const reused: OperationFromDocument = (schema, document, options) => {
    // Only the execution's call: no operation name, no validation, the operation first.
    const [operation, ...fragments] = document.definitions;
    if (options?.validate !== false || options.operationName !== undefined || operation?.kind !== 'OperationDefinition')
      return original(schema, document, options);
    const known = built.get(operation);
    if (known && known.schema === schema && sameNodes(known.fragments, fragments)) return known.operation;
    const fresh = original(schema, document, options);
    built.set(operation, { schema, fragments, operation: fresh });
    return fresh;
  };
  Object.assign(reused, { reused: true });
  operations.operationFromDocument = reused;
  if (index.operationFromDocument === reused) return true;
  // The index holds a copy: the gateway would not see the change.
  operations.operationFromDocument = original;
  return false;
}
