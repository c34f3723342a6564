import { type DocumentNode, Kind, parse, type SelectionSetNode } from 'graphql';

/**
 * Whether an `_entities` fetch the planner wrote asks only for fields every signed-in caller sees
 * alike: each of its selections is `__typename` or one of `fields` of `typeName`, plain (no
 * arguments, aliases, directives or sub-selections), under `... on <typeName>`. Anything else
 * (another type, a private field, a fragment spread) is not shared. Decided once per query text:
 * the planner writes the same text for the same plan, and its plans are cached.
 */
export class SharedEntitySelection {
  private readonly decided = new Map<string, boolean>();

  constructor(
    private readonly typeName: string,
    private readonly fields: ReadonlySet<string>,
    private readonly maxQueries = 1_000,
  ) {}

  allows(query: string): boolean {
    let shared = this.decided.get(query);
    if (shared === undefined) {
      shared = this.decide(query);
      // Plans are few; a stream of odd texts only costs a parse each once this is full.
      if (this.decided.size < this.maxQueries) this.decided.set(query, shared);
    }
    return shared;
  }

  private decide(query: string): boolean {
    let document: DocumentNode;
    try {
      document = parse(query, { noLocation: true });
    } catch {
      return false;
    }
    const [operation, ...others] = document.definitions;
    if (others.length || operation?.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query') return false;
    const [entities, ...rest] = operation.selectionSet.selections;
    if (rest.length || entities?.kind !== Kind.FIELD || entities.name.value !== '_entities' || entities.alias || !entities.selectionSet) {
      return false;
    }
    return entities.selectionSet.selections.every(
      (selection) =>
        (selection.kind === Kind.FIELD && this.isPlain(selection, '__typename')) ||
        (selection.kind === Kind.INLINE_FRAGMENT &&
          selection.typeCondition?.name.value === this.typeName &&
          !selection.directives?.length &&
          this.onlySharedFields(selection.selectionSet)),
    );
  }

  private onlySharedFields(selectionSet: SelectionSetNode): boolean {
    return selectionSet.selections.every(
      (selection) =>
        selection.kind === Kind.FIELD &&
        (this.fields.has(selection.name.value) || selection.name.value === '__typename') &&
        this.isPlain(selection),
    );
  }

  private isPlain(field: SelectionSetNode['selections'][number], name?: string): boolean {
    if (field.kind !== Kind.FIELD) return false;
    if (name !== undefined && field.name.value !== name) return false;
    return !field.alias && !field.arguments?.length && !field.directives?.length && !field.selectionSet;
  }
}
