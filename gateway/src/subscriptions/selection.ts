import {
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
function usedDefinitions(nodes: readonly (SelectionSetNode | FragmentDefinitionNode)[], fragments: Fragments) {
  const names = new Set<string>();
  const seenFragments = new Set<string>();
  const walk = (node: SelectionSetNode | FragmentDefinitionNode) =>
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

/**
 * Turns the client's selection under a subscription field into a query that fetches the same
 * selection for one entity through the supergraph:
 * `subscription { orderUpdated(orderId: $id) { status items { product { name } } } }` becomes
 * `query($__key: ID!) { orderUpdated: order(id: $__key) { status items { product { name } } } }`.
 * Only the variables the selection itself uses are kept (a query must use all it declares).
 */
export function entityQuery(
  operation: OperationDefinitionNode,
  fragments: Fragments,
  fields: readonly FieldNode[],
  entityField: { name: string; keyArgument: string },
): string {
  const used = usedDefinitions(
    fields.flatMap((f) => (f.selectionSet ? [f.selectionSet] : [])),
    fragments,
  );
  const variableDefinitions: VariableDefinitionNode[] = [
    {
      kind: Kind.VARIABLE_DEFINITION,
      variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__key' } },
      type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
    },
    ...(operation.variableDefinitions ?? []).filter((d) => used.variables.has(d.variable.name.value)),
  ];
  const query: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: 'query' as OperationDefinitionNode['operation'],
    name: { kind: Kind.NAME, value: `Live_${entityField.name}` },
    variableDefinitions,
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
  return print({ kind: Kind.DOCUMENT, definitions: [query, ...used.fragments] });
}
