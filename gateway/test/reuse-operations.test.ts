/**
 * reuseOperations: the federation Operation the gateway shapes answers with is built once per
 * document (its AST node) and schema, and anything else (a new parse, another schema, other
 * fragments, the planner's validating call) is built as before.
 */
import { buildSchema } from '@apollo/federation-internals';
import { type DefinitionNode, type DocumentNode, Kind, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { reuseOperations } from '../src/reuse-operations.js';

// Identity is compared as a boolean: vitest would print an Operation (and its whole schema) on the way.
const same = (a: unknown, b: unknown) => a === b;

const SDL = 'type Query { a(x: Int = 1): Int b: String c: C } type C { d: Int e: Int }';
// What executeQueryPlan passes: a new document object around the cached document's nodes.
const executionDocument = (definitions: readonly DefinitionNode[]): DocumentNode => ({ kind: Kind.DOCUMENT, definitions });

async function operationFromDocument() {
  expect(reuseOperations()).toBe(true);
  // Read through the package's index at call time, as @apollo/gateway does.
  const internals = await import('@apollo/federation-internals');
  return internals.operationFromDocument as (schema: unknown, doc: DocumentNode, options?: object) => { selectionSet: unknown };
}

describe('reuseOperations', () => {
  it('answers the same Operation for the same document nodes and schema, a new one otherwise', async () => {
    const build = await operationFromDocument();
    const schema = buildSchema(SDL);
    const document = parse('query Q($on: Boolean = true) { a b @include(if: $on) c { ...F } } fragment F on C { d e }');
    const first = build(schema, executionDocument(document.definitions), { validate: false });
    expect(same(build(schema, executionDocument(document.definitions), { validate: false }), first)).toBe(true);

    // The same text parsed again (a document the store no longer kept): built again.
    const reparsed = parse('query Q($on: Boolean = true) { a b @include(if: $on) c { ...F } } fragment F on C { d e }');
    expect(same(build(schema, executionDocument(reparsed.definitions), { validate: false }), first)).toBe(false);
    // Another schema (a new supergraph): built again.
    expect(same(build(buildSchema(SDL), executionDocument(document.definitions), { validate: false }), first)).toBe(false);
    // Other fragment nodes with the same operation node: built again.
    const [operation] = document.definitions;
    const otherFragment = parse('fragment F on C { d }').definitions;
    const withOther = build(schema, executionDocument([operation, ...otherFragment]), { validate: false });
    expect(same(withOther, first)).toBe(false);
    expect(String(withOther)).not.toBe(String(first));
  });

  it('leaves the planner’s call (with validation, by operation name) as it was', async () => {
    const build = await operationFromDocument();
    const schema = buildSchema(SDL);
    const document = parse('query Q { a }');
    const planned = build(schema, document, { operationName: 'Q' });
    expect(same(build(schema, document, { operationName: 'Q' }), planned)).toBe(false);
    expect(same(build(schema, document), build(schema, document))).toBe(false);
  });

  it('is installed once however many gateways a process builds', async () => {
    expect(reuseOperations()).toBe(true);
    const internals = await import('@apollo/federation-internals');
    const installed = internals.operationFromDocument;
    expect(reuseOperations()).toBe(true);
    expect(same(internals.operationFromDocument, installed)).toBe(true);
  });
});
