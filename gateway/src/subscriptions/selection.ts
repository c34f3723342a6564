import {
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  print,
  type SelectionSetNode,
  type VariableDefinitionNode,
  visit,
} from 'graphql';

export type Fragments = Record<string, FragmentDefinitionNode>;

export function fragmentsOf(document: DocumentNode): Fragments {
  const out: Fragments = {};
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) out[def.name.value] = def;
  return out;
}

/** The fields of a selection set with inline fragments and spreads flattened (directives are left to execution). */
export function collectFields(selectionSet: SelectionSetNode | undefined, fragments: Fragments, out: FieldNode[] = []): FieldNode[] {
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.FIELD) out.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) collectFields(selection.selectionSet, fragments, out);
    else collectFields(fragments[selection.name.value]?.selectionSet, fragments, out);
  }
  return out;
}

export const responseKey = (field: FieldNode) => field.alias?.value ?? field.name.value;

/** Variables and fragments used anywhere under these nodes (following fragment spreads). */
function usedDefinitions(nodes: readonly ASTNode[], fragments: Fragments) {
  const names = new Set<string>();
  const seenFragments = new Set<string>();
  const walk = (node: ASTNode) =>
    visit(node, {
      Variable: (v) => void names.add(v.name.value),
      FragmentSpread: (spread) => {
        const name = spread.name.value;
        if (!seenFragments.has(name) && fragments[name]) {
          seenFragments.add(name);
          walk(fragments[name]);
        }
      },
    });
  nodes.forEach(walk);
  return { variables: names, fragments: [...seenFragments].map((name) => fragments[name]) };
}

/** A subscription's selection as a query for one entity, and the subscription's variables it uses. */
export interface EntityQuery {
  query: string;
  variables: string[];
}

/**
 * Entity queries already made, per operation (documents are shared by every subscription sent
 * the same text: operation-checks.ts), by entity field and the positions of the fields in the
 * document: subscribers of one document share one query text instead of printing their own.
 */
const made = new WeakMap<OperationDefinitionNode, Map<string, EntityQuery>>();

/**
 * Turns the client's selection under a subscription field into a query that fetches the same
 * selection for one entity through the supergraph:
 * `subscription { orderUpdated(orderId: $id) { status items { product { name } } } }` becomes
 * `query($__key: ID!) { orderUpdated: order(id: $__key) { status items { product { name } } } }`.
 * Only the variables the selection itself uses are kept (a query must use all it declares), and
 * only those are to be sent with it: subscribers who differ in the others still share a resolution.
 */
export function entityQuery(
  operation: OperationDefinitionNode,
  fragments: Fragments,
  fields: readonly FieldNode[],
  entityField: { name: string; keyArgument: string },
): EntityQuery {
  const positions = fields.map((f) => f.loc?.start);
  const key = positions.includes(undefined) ? undefined : `${entityField.name}(${entityField.keyArgument}):${positions.join(',')}`;
  let byKey = made.get(operation);
  const known = key === undefined ? undefined : byKey?.get(key);
  if (known) return known;
  // The fields' own directives (`@include(if: $x)`) go into the query with their selections.
  const used = usedDefinitions(
    fields.flatMap((f) => [...(f.directives ?? []), ...(f.selectionSet ? [f.selectionSet] : [])]),
    fragments,
  );
  const definitions = (operation.variableDefinitions ?? []).filter((d) => used.variables.has(d.variable.name.value));
  const result = {
    query: print({ kind: Kind.DOCUMENT, definitions: [entityOperation(definitions, fields, entityField), ...used.fragments] }),
    variables: definitions.map((d) => d.variable.name.value),
  };
  if (key !== undefined) {
    if (!byKey) made.set(operation, (byKey = new Map()));
    byKey.set(key, result);
  }
  return result;
}

function entityOperation(
  definitions: VariableDefinitionNode[],
  fields: readonly FieldNode[],
  entityField: { name: string; keyArgument: string },
): OperationDefinitionNode {
  return {
    kind: Kind.OPERATION_DEFINITION,
    operation: 'query' as OperationDefinitionNode['operation'],
    name: { kind: Kind.NAME, value: `Live_${entityField.name}` },
    variableDefinitions: [
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__key' } },
        type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
      },
      ...definitions,
    ],
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: fields.map((field) => ({
        kind: Kind.FIELD,
        alias: { kind: Kind.NAME, value: responseKey(field) },
        name: { kind: Kind.NAME, value: entityField.name },
        arguments: [
          {
            kind: Kind.ARGUMENT,
            name: { kind: Kind.NAME, value: entityField.keyArgument },
            value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__key' } },
          },
        ],
        directives: field.directives,
        selectionSet: field.selectionSet,
      })),
    },
  };
}

/** The named variables out of all of a subscription's. */
export const pick = (variables: Record<string, unknown>, names: readonly string[]) =>
  Object.fromEntries(names.filter((name) => name in variables).map((name) => [name, variables[name]]));
