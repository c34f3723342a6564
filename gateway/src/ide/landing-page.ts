import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { IDE_PATH } from './graphiql-page.js';

/**
 * What a browser gets for `GET /graphql`. Apollo answers a GET whose Accept prefers text/html
 * with the HTML of the one plugin that implements `renderLandingPage`; its default (Apollo
 * Sandbox) loads from Apollo's CDN and fails offline. This page has nothing to load: it sends
 * the browser on to GraphiQL at once (meta refresh, no script), with a link as well.
 */
const LANDING_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta http-equiv="Content-Security-Policy" content="default-src 'none'">
  <meta http-equiv="refresh" content="0; url=${IDE_PATH}">
  <title>GraphQL endpoint — federated platform</title>
</head>
<body>
  <p>This is the gateway's GraphQL endpoint: POST operations here, or open a graphql-ws WebSocket on this path.
  The GraphQL IDE is at <a href="${IDE_PATH}">${IDE_PATH}</a>.</p>
</body>
</html>`;

/** The landing page plugin: the offline page above when the IDE is on, none at all otherwise. */
export function graphiqlLandingPage({ enabled }: { enabled: boolean }): ApolloServerPlugin {
  if (!enabled) return ApolloServerPluginLandingPageDisabled();
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html: LANDING_PAGE };
        },
      };
    },
  };
}
