# One image for every service of the platform; docker-compose.yml picks the entry point.
FROM node:24-slim
WORKDIR /app
# HOST: services default to loopback (safe for `npm start` on a laptop); in a container they must
# listen on its own interface to be reached at all.
ENV NODE_ENV=production APOLLO_TELEMETRY_DISABLED=true HOST=0.0.0.0

# Workspace manifests first, so the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY platform/package.json platform/
COPY events/package.json events/
COPY gateway/package.json gateway/
COPY subgraphs/auth/package.json subgraphs/auth/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/workouts/package.json subgraphs/workouts/
COPY subgraphs/catalog/package.json subgraphs/catalog/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/relationship-map/package.json subgraphs/relationship-map/
# patch-package (the root's postinstall) applies these to the installed packages.
COPY patches patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json supergraph.yaml supergraph.graphql ./
COPY platform platform
COPY events events
COPY gateway gateway
COPY subgraphs subgraphs
COPY scripts scripts

USER node
# Overridden per service in docker-compose.yml.
CMD ["node", "--no-memory-reducer", "--import", "tsx", "gateway/src/index.ts"]
