// The layer rules of DESIGN.md as an executable check: `npm run check:layers`.
// Paths are relative to the repository root; workspace packages (`@app/*`) resolve through
// their node_modules symlinks to their real folders, so `@app/users` from auth is caught as
// `subgraphs/users/...` by the same path rules as a relative import.

/** A service's own code: tests, migrations, scripts and benchmarks are exempt from the layer rules (not from no-circular). */
const SUBGRAPH_SRC = '^subgraphs/([^/]+)/src/';

module.exports = {
  forbidden: [
    {
      name: 'adapter-not-to-persistence',
      comment:
        'Resolvers and handlers are adapters: they call use cases (src/usecases), never entities, ' +
        'repositories or MikroORM directly. Type-only imports stay allowed: a resolver may name the ' +
        'shape a use case returns (an entity type) to render its fields, but it cannot query with it.',
      severity: 'error',
      from: { path: `${SUBGRAPH_SRC}(resolvers|handlers)/` },
      to: {
        path: ['^subgraphs/[^/]+/src/(entities|repositories)/', '(^|/)node_modules/@mikro-orm/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'usecase-not-to-adapter',
      comment: 'Use cases are called by resolvers and handlers, not the other way round.',
      severity: 'error',
      from: { path: `${SUBGRAPH_SRC}usecases/` },
      to: { path: '^subgraphs/[^/]+/src/(resolvers|handlers)/' },
    },
    {
      name: 'repository-not-upward',
      comment: 'Repositories are the bottom layer: they import no use case, resolver or handler.',
      severity: 'error',
      from: { path: `${SUBGRAPH_SRC}repositories/` },
      to: { path: '^subgraphs/[^/]+/src/(usecases|resolvers|handlers)/' },
    },
    {
      name: 'no-cross-subgraph',
      comment:
        'Subgraphs meet only through federation (entity keys) and the events/ contracts, ' +
        "never by importing each other's code (relative path or @app/<subgraph>).",
      severity: 'error',
      from: { path: SUBGRAPH_SRC },
      to: { path: '^subgraphs/', pathNot: '^subgraphs/$1/' },
    },
    {
      name: 'gateway-not-to-subgraph',
      comment: 'The gateway reaches subgraphs over HTTP through the supergraph, never by importing their code.',
      severity: 'error',
      from: { path: '^gateway/src/' },
      to: { path: '^subgraphs/' },
    },
    {
      name: 'gateway-without-database',
      comment:
        'The gateway has no database: it imports @app/platform/core, and nothing it reaches loads ' +
        'Postgres, the outbox, the subgraph server or their libraries (with them its heap was ~15 MB ' +
        'larger and its start ~0.9 s of CPU longer).',
      severity: 'error',
      from: { path: '^gateway/src/' },
      to: {
        path: [
          '^platform/src/(database|outbox)/',
          '^platform/src/graphql/subgraph-server[.]ts$',
          '(^|/)node_modules/(@mikro-orm|kysely|pg|@apollo/subgraph|@electric-sql)/',
        ],
        reachable: true,
      },
    },
    {
      name: 'gateway-line-sdk-when-configured',
      comment:
        'The LINE SDK (~380 modules) loads only in a gateway with LINE configured: only the webhook ' +
        'handler and the replier import it to run, and they are imported dynamically by ' +
        'register-line-webhook.ts (type imports are free).',
      severity: 'error',
      from: { path: '^gateway/src/', pathNot: '^gateway/src/facade/line/webhook/(webhook-route|line-replier)[.]ts$' },
      to: {
        path: ['(^|/)node_modules/@line/bot-sdk/', '^gateway/src/facade/line/webhook/(webhook-route|line-replier)[.]ts$'],
        dependencyTypesNot: ['type-only', 'dynamic-import'],
      },
    },
    {
      name: 'shared-not-to-service',
      comment: 'platform/ and events/ are shared by every service and import none of them.',
      severity: 'error',
      from: { path: '^(platform|events)/src/' },
      to: { path: '^(gateway|subgraphs)/' },
    },
    {
      name: 'events-not-to-platform',
      comment: 'events/ (the NATS contracts) stays below platform/: platform imports events, not the reverse.',
      severity: 'error',
      from: { path: '^events/src/' },
      to: { path: '^platform/' },
    },
    {
      name: 'no-circular',
      comment: 'Circular imports make load order matter and layers meaningless.',
      severity: 'error',
      from: { pathNot: '(^|/)node_modules/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '(^|/)\\.data/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports are cruised too: a circle or a wrong-way import made of types alone is
    // caught (only adapter-not-to-persistence lets them through, see there).
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
