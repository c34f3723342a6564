import {
  type ArgumentNode,
  BREAK,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLSchema,
  isObjectType,
  Kind,
  parse,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';

/**
 * Subgraphs whose reads do not look at who asks. The catalog's are public: its Query, Category,
 * Product and StockUpdate resolvers hand no caller to its use cases (only its mutations check
 * the admin scope). tests/subscriptions-sharing.test.ts holds its read resolvers to that.
 */
export const CALLER_INDEPENDENT_SUBGRAPHS: ReadonlySet<string> = new Set(['catalog']);

const argument = (directive: ConstDirectiveNode, name: string) =>
  directive.arguments?.find((a: ArgumentNode) => a.name.value === name)?.value;
const stringArg = (directive: ConstDirectiveNode, name: string) => {
  const value = argument(directive, name);
  return value?.kind === Kind.STRING || value?.kind === Kind.ENUM ? value.value : undefined;
};
const directivesNamed = (node: { directives?: readonly ConstDirectiveNode[] }, name: string) =>
  (node.directives ?? []).filter((d) => d.name.value === name);

/** The top-level field names of a `@key(fields: "...")` selection ("id", "id sku"; not nested ones). */
function keyFieldNames(fields: string | undefined): string[] {
  if (!fields) return [];
  const names: string[] = [];
  let depth = 0;
  for (const token of fields.match(/[A-Za-z_][A-Za-z0-9_]*|[{}]/g) ?? []) {
    if (token === '{') {
      depth++;
      if (depth === 1) names.pop(); // an object key field: its value is more than the identity
    } else if (token === '}') depth--;
    else if (depth === 0) names.push(token);
  }
  return names;
}

/**
 * Which fields of the supergraph answer the same whoever asks, given the object they are asked
 * of, read from the supergraph's `@join__*` directives:
 * - a field resolved only by caller-independent subgraphs (its `@join__field` graphs, or without
 *   one, every graph its type is joined in) is independent;
 * - a key field of its type in every graph the type is joined in is independent too: its value
 *   is the identity of the object, which the field above it chose;
 * - `__typename` is; any other field, or one on an interface or union, is not.
 * A selection is caller-independent when every field in it is, from the root field down: then
 * one resolution serves every subscriber, whoever they are.
 */
export class CallerIndependence {
  private readonly answers = new WeakMap<GraphQLSchema, Map<string, boolean>>();

  private constructor(private readonly fields: ReadonlySet<string>) {}

  static fromSupergraph(supergraphSdl: string, subgraphs: ReadonlySet<string> = CALLER_INDEPENDENT_SUBGRAPHS): CallerIndependence {
    const document = parse(supergraphSdl);
    const independentGraphs = new Set<string>();
    for (const def of document.definitions) {
      if (def.kind !== Kind.ENUM_TYPE_DEFINITION || def.name.value !== 'join__Graph') continue;
      for (const value of def.values ?? []) {
        const name = directivesNamed(value, 'join__graph').map((d) => stringArg(d, 'name'))[0];
        if (name && subgraphs.has(name)) independentGraphs.add(value.name.value);
      }
    }
    const fields = new Set<string>();
    for (const def of document.definitions) {
      if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
      const joins = directivesNamed(def, 'join__type');
      const typeGraphs = joins.map((d) => stringArg(d, 'graph'));
      const keys = joins.map((d) => new Set(keyFieldNames(stringArg(d, 'key'))));
      for (const field of def.fields ?? []) {
        const isKey = keys.length > 0 && keys.every((k) => k.has(field.name.value));
        if (isKey || resolvedOnlyBy(field, typeGraphs, independentGraphs)) fields.add(`${def.name.value}.${field.name.value}`);
      }
    }
    return new CallerIndependence(fields);
  }

  /** Whether `Type.field` answers the same whoever asks, given its parent object. */
  isIndependent(typeName: string, fieldName: string): boolean {
    return fieldName === '__typename' || this.fields.has(`${typeName}.${fieldName}`);
  }

  /** Whether every field the query selects (fragments included) answers the same whoever asks. Remembered per query. */
  covers(schema: GraphQLSchema, query: string): boolean {
    let answers = this.answers.get(schema);
    if (!answers) this.answers.set(schema, (answers = new Map()));
    let answer = answers.get(query);
    if (answer === undefined) {
      // Queries come from live subscriptions' selections; a bound keeps a flood of distinct ones from growing it.
      if (answers.size >= 10_000) answers.clear();
      answers.set(query, (answer = this.documentCovered(schema, parse(query))));
    }
    return answer;
  }

  private documentCovered(schema: GraphQLSchema, document: DocumentNode): boolean {
    const typeInfo = new TypeInfo(schema);
    let covered = true;
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field: (node) => {
          const parent = typeInfo.getParentType();
          if (node.name.value === '__typename') return undefined;
          if (parent && isObjectType(parent) && this.isIndependent(parent.name, node.name.value)) return undefined;
          covered = false;
          return BREAK;
        },
      }),
    );
    return covered;
  }
}

/**
 * Whether only caller-independent graphs resolve the field: its `@join__field` graphs (those that
 * do not merely declare it `external`), else its type's. A field that `requires` others is not:
 * what it is given comes from wherever those are resolved.
 */
function resolvedOnlyBy(field: FieldDefinitionNode, typeGraphs: (string | undefined)[], independent: ReadonlySet<string>) {
  const joins = directivesNamed(field, 'join__field');
  if (joins.some((d) => argument(d, 'requires'))) return false;
  const isExternal = (d: ConstDirectiveNode) => {
    const value = argument(d, 'external');
    return value?.kind === Kind.BOOLEAN && value.value;
  };
  const graphs = joins.length ? joins.filter((d) => !isExternal(d)).map((d) => stringArg(d, 'graph')) : typeGraphs;
  return graphs.length > 0 && graphs.every((graph) => graph !== undefined && independent.has(graph));
}
