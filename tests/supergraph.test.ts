/**
 * The committed supergraph is what supergraph.yaml composes to (the staleness check), and the
 * API schema the gateway serves keeps the public contract of CONTRACT.graphql (the repository's
 * copy of the shared design's).
 *
 * The contract check is generic: it walks every definition of CONTRACT.graphql (scalars, object
 * types, input types, enums, the root types) and compares each with the gateway's API schema, so
 * no subgraph's types (auth, users, workouts, catalog, orders, relationship-map, or the next one)
 * can be left out of it. A definition of a kind this file does not know how to check fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import {
  astFromValue,
  type ConstDirectiveNode,
  type DefinitionNode,
  type DocumentNode,
  type EnumTypeDefinitionNode,
  type GraphQLArgument,
  type GraphQLInputField,
  type GraphQLSchema,
  type InputObjectTypeDefinitionNode,
  type InputValueDefinitionNode,
  isEnumType,
  isInputObjectType,
  isObjectType,
  isScalarType,
  Kind,
  type ObjectTypeDefinitionNode,
  OperationTypeNode,
  parse,
  print,
  type ScalarTypeDefinitionNode,
  type TypeNode,
  visit,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '../gateway/src/compose-supergraph.js';
import { repoRoot, supergraphPath } from '../gateway/src/supergraph.js';

describe('supergraph.graphql', () => {
  it('is what supergraph.yaml composes to, byte for byte', () => {
    const composed = composeSupergraph();
    const committed = readFileSync(supergraphPath, 'utf8');
    // A plain comparison first, so a mismatch says what to do rather than dumping two schemas.
    expect(composed === committed, 'supergraph.graphql is stale: run npm run compose and commit the result').toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Contract

// The repository keeps a copy of the public contract (so the check runs in any checkout); where
// the design folder sits beside the checkout, the copy must still match it.
const contractPath = resolve(repoRoot, 'CONTRACT.graphql');
const sharedContractPath = resolve(repoRoot, '..', 'shared', 'CONTRACT.graphql');

describe('CONTRACT.graphql', () => {
  it('is in the repository', () => {
    expect(existsSync(contractPath), `${contractPath} is missing`).toBe(true);
  });
  it.skipIf(!existsSync(sharedContractPath))('matches ../shared/CONTRACT.graphql', () => {
    expect(
      readFileSync(contractPath, 'utf8') === readFileSync(sharedContractPath, 'utf8'),
      'CONTRACT.graphql differs from ../shared/CONTRACT.graphql: copy it again',
    ).toBe(true);
  });
});

// Parsed at collection time, so that every definition of the contract becomes a test of its own.
const contract: DocumentNode = existsSync(contractPath)
  ? parse(readFileSync(contractPath, 'utf8'))
  : { kind: Kind.DOCUMENT, definitions: [] };
const ROOT_OPERATIONS = {
  Query: OperationTypeNode.QUERY,
  Mutation: OperationTypeNode.MUTATION,
  Subscription: OperationTypeNode.SUBSCRIPTION,
} as const;

type NamedDefinition = DefinitionNode & { name: { value: string } };
const named = (d: DefinitionNode): d is NamedDefinition => 'name' in d && !!d.name;
const label = (d: DefinitionNode) =>
  `${d.kind
    .replace(/Definition$|Extension$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()} ${named(d) ? d.name.value : ''}`.trim();

/** The named type at the bottom of a (list / non-null) type reference. */
const namedType = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type));

/** Every type name the contract's fields, arguments and input fields refer to. */
const referencedTypes = new Set<string>();
visit(contract, {
  FieldDefinition: (node) => void referencedTypes.add(namedType(node.type)),
  InputValueDefinition: (node) => void referencedTypes.add(namedType(node.type)),
});

describe('the API schema the gateway serves keeps CONTRACT.graphql', () => {
  let api: GraphQLSchema;
  let supergraph: DocumentNode;
  let gateway: ApolloGateway;

  beforeAll(async () => {
    // The committed supergraph (what the gateway serves; the test above holds it to the
    // composition), turned into the API schema exactly as the gateway does it: join/link
    // machinery and @inaccessible elements removed.
    const sdl = readFileSync(supergraphPath, 'utf8');
    supergraph = parse(sdl);
    gateway = new ApolloGateway({ supergraphSdl: sdl });
    api = (await gateway.load()).schema;
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('the contract has the definitions this check walks (a sanity check on the parse)', () => {
    const kinds = new Set(contract.definitions.map((d) => d.kind));
    for (const kind of [
      Kind.SCALAR_TYPE_DEFINITION,
      Kind.OBJECT_TYPE_DEFINITION,
      Kind.INPUT_OBJECT_TYPE_DEFINITION,
      Kind.ENUM_TYPE_DEFINITION,
    ])
      expect(kinds).toContain(kind);
    for (const root of Object.keys(ROOT_OPERATIONS))
      expect(
        contract.definitions.some((d) => named(d) && d.name.value === root),
        `${root} is not in CONTRACT.graphql`,
      ).toBe(true);
  });

  it('serves the root types under the contract names (Query, Mutation, Subscription)', () => {
    for (const [name, operation] of Object.entries(ROOT_OPERATIONS)) {
      if (!contract.definitions.some((d) => named(d) && d.name.value === name)) continue;
      expect(api.getRootType(operation)?.name, `the ${operation} root type`).toBe(name);
    }
  });

  /** Differences between the contract's arguments (or input fields) and the API's. */
  function compareInputValues(
    where: string,
    expected: readonly InputValueDefinitionNode[],
    actual: readonly (GraphQLArgument | GraphQLInputField)[],
    what: 'argument' | 'field',
  ) {
    const problems: string[] = [];
    for (const value of expected) {
      const name = value.name.value;
      const found = actual.find((a) => a.name === name);
      const contractType = print(value.type);
      const at = what === 'argument' ? `${where}(${name}:)` : `${where}.${name}`;
      if (!found) {
        problems.push(`${at} is missing (contract: ${contractType})`);
        continue;
      }
      if (String(found.type) !== contractType) problems.push(`${at} is ${String(found.type)}, contract says ${contractType}`);
      if (value.defaultValue) {
        const actualDefault = found.defaultValue === undefined ? undefined : astFromValue(found.defaultValue, found.type);
        if (!actualDefault || print(actualDefault) !== print(value.defaultValue)) {
          problems.push(
            `${at} defaults to ${actualDefault ? print(actualDefault) : 'nothing'}, contract says ${print(value.defaultValue)}`,
          );
        }
      }
    }
    // What the API adds must not break a client written against the contract: a new required
    // argument or input field would make every such request invalid.
    for (const extra of actual) {
      if (expected.some((v) => v.name.value === extra.name)) continue;
      if (String(extra.type).endsWith('!') && extra.defaultValue === undefined) {
        problems.push(
          `${what === 'argument' ? `${where}(${extra.name}:)` : `${where}.${extra.name}`} is a new required ${what} (${String(extra.type)}): clients of the contract would break`,
        );
      }
    }
    return problems;
  }

  function checkObjectType(definition: ObjectTypeDefinitionNode) {
    const name = definition.name.value;
    const type = api.getType(name);
    if (!type) return [`type ${name} is missing from the API schema`];
    if (!isObjectType(type)) return [`${name} is not an object type in the API schema (${type.constructor.name})`];
    const problems: string[] = [];
    const fields = type.getFields();
    for (const field of definition.fields ?? []) {
      const fieldName = field.name.value;
      const actual = fields[fieldName];
      const contractType = print(field.type);
      if (!actual) {
        problems.push(`${name}.${fieldName} is missing (contract: ${contractType})`);
        continue;
      }
      if (String(actual.type) !== contractType)
        problems.push(`${name}.${fieldName} is ${String(actual.type)}, contract says ${contractType}`);
      problems.push(...compareInputValues(`${name}.${fieldName}`, field.arguments ?? [], actual.args, 'argument'));
    }
    for (const iface of definition.interfaces ?? []) {
      if (!type.getInterfaces().some((i) => i.name === iface.name.value)) problems.push(`${name} does not implement ${iface.name.value}`);
    }
    return problems;
  }

  function checkInputType(definition: InputObjectTypeDefinitionNode) {
    const name = definition.name.value;
    const type = api.getType(name);
    if (!type) return [`input ${name} is missing from the API schema`];
    if (!isInputObjectType(type)) return [`${name} is not an input type in the API schema`];
    return compareInputValues(name, definition.fields ?? [], Object.values(type.getFields()), 'field');
  }

  function checkEnum(definition: EnumTypeDefinitionNode) {
    const name = definition.name.value;
    const type = api.getType(name);
    if (!type) return [`enum ${name} is missing from the API schema`];
    if (!isEnumType(type)) return [`${name} is not an enum in the API schema`];
    const expected = (definition.values ?? []).map((v) => v.name.value);
    const actual = type.getValues().map((v) => v.name);
    return [
      ...expected.filter((v) => !actual.includes(v)).map((v) => `${name}.${v} is missing`),
      // A value the contract does not know would reach clients that switch over the contract's values.
      ...actual.filter((v) => !expected.includes(v)).map((v) => `${name}.${v} is not in the contract`),
    ];
  }

  function checkScalar(definition: ScalarTypeDefinitionNode) {
    const name = definition.name.value;
    const type = api.getType(name);
    if (type) return isScalarType(type) ? [] : [`${name} is not a scalar in the API schema`];
    // A scalar the contract declares but no field or argument of it uses (UUID: ids are ID!)
    // gives a client nothing to send or receive; the field checks cover every scalar that is used.
    if (!referencedTypes.has(name)) return [];
    return [`scalar ${name} is missing from the API schema`];
  }

  /**
   * The contract's `@key(fields: ...)`: the supergraph declares the type an entity with that key
   * (an `@join__type(key:)` of some subgraph), so other subgraphs can extend it.
   */
  function checkKeys(definition: ObjectTypeDefinitionNode) {
    const keys = (definition.directives ?? []).filter((d) => d.name.value === 'key').map((d) => argumentString(d, 'fields'));
    if (!keys.length) return [];
    const inSupergraph = supergraph.definitions
      .filter(
        (d): d is ObjectTypeDefinitionNode =>
          (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) && d.name.value === definition.name.value,
      )
      .flatMap((d) => (d.directives ?? []).filter((x) => x.name.value === 'join__type').map((x) => argumentString(x, 'key')))
      .filter((k): k is string => !!k)
      .map(normalizeFieldSet);
    return keys
      .filter((k) => !inSupergraph.includes(normalizeFieldSet(k!)))
      .map(
        (k) =>
          `${definition.name.value} is not an entity with @key(fields: "${k}") in the supergraph (keys: ${inSupergraph.join(', ') || 'none'})`,
      );
  }
  const argumentString = (directive: ConstDirectiveNode, name: string) => {
    const value = directive.arguments?.find((a) => a.name.value === name)?.value;
    return value?.kind === Kind.STRING ? value.value : undefined;
  };
  const normalizeFieldSet = (fields: string) => fields.trim().replace(/\s+/g, ' ');

  function check(definition: DefinitionNode): string[] {
    switch (definition.kind) {
      case Kind.SCALAR_TYPE_DEFINITION:
        return checkScalar(definition);
      case Kind.OBJECT_TYPE_DEFINITION:
        return [...checkObjectType(definition), ...checkKeys(definition)];
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
        return checkInputType(definition);
      case Kind.ENUM_TYPE_DEFINITION:
        return checkEnum(definition);
      default:
        // Interfaces, unions, directives, extensions...: the contract has none today. Should it
        // gain one, this test must learn to check it rather than pass it by.
        return [
          `CONTRACT.graphql has a definition of kind ${definition.kind} (${label(definition)}) that tests/supergraph.test.ts does not know how to check`,
        ];
    }
  }

  const definitions = contract.definitions.map((d) => ({
    title:
      d.kind === Kind.SCALAR_TYPE_DEFINITION && !referencedTypes.has(d.name.value)
        ? `${label(d)} (used by no field or argument of the contract) is a scalar if the API schema has it`
        : `${label(d)} is in the API schema as the contract defines it`,
    definition: d,
  }));
  it.each(definitions)('$title', ({ definition }) => {
    const problems = check(definition);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('checks every definition of the contract (nothing is left out)', () => {
    // The per-definition tests above are generated from the parsed contract; this pins their number to the file's.
    const source = readFileSync(contractPath, 'utf8').replace(/#.*$/gm, '');
    const declared =
      source.match(
        /^\s*(?:extend\s+)?(?:type|input|enum|scalar|interface|union)\s+[_A-Za-z]|^\s*directive\s+@|^\s*(?:extend\s+)?schema\s*[{@]/gm,
      ) ?? [];
    expect(definitions).toHaveLength(declared.length);
    expect(new Set(definitions.map((d) => d.title)).size).toBe(definitions.length);
  });
});
