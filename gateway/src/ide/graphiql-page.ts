/** Where the IDE lives, and where its files are served from (whitelisted in graphiql-assets.ts). */
export const IDE_PATH = '/graphiql';
export const ASSET_PATH = `${IDE_PATH}/assets`;

/** What the first tab shows on a first visit: how to sign in, and where things are. */
const DEFAULT_QUERY = `# GraphiQL on the gateway (development only).
#
# Ctrl-Enter runs an operation; Ctrl-Space
# completes; the top-left icon opens the docs.
# Subscriptions (stockUpdated, orderUpdated)
# use graphql-ws on the same /graphql path.
#
# To sign in, run Login below, then put
#   {"Authorization": "Bearer <accessToken>"}
# in Headers under this editor (subscriptions
# send it too). npm start's demo admin is
# admin / admin-demo-2026.

mutation Login {
  login(input: {
    usernameOrEmail: "admin"
    password: "admin-demo-2026"
  }) {
    accessToken
    expiresIn
  }
}

query Me {
  me {
    id
    username
    profile { displayName locale }
  }
}
`;

/**
 * Starts GraphiQL (globals React, ReactDOM and GraphiQL come from the UMD builds loaded before
 * it). A separate file rather than an inline script, so the page's CSP can forbid inline code.
 */
export const BOOT_SCRIPT = `(function () {
  'use strict';
  // GraphiQL's dialogs inject a <style>; react-remove-scroll gives it this nonce, which the CSP allows.
  window.__webpack_nonce__ = document.currentScript ? document.currentScript.nonce : undefined;

  var http = new URL('/graphql', location.href).href;
  // Queries and mutations are POSTed to /graphql; subscriptions go over graphql-ws on the same
  // path, and the Headers editor's JSON becomes the connection_init payload.
  var fetcher = GraphiQL.createFetcher({ url: http, subscriptionUrl: http.replace(/^http/, 'ws') });

  // ?query=&variables=&operationName= open the editor on an operation (a link can share one),
  // and edits are kept there. Headers never go into the URL: they hold tokens.
  var params = new URLSearchParams(location.search);
  var initial = function (key) { return params.has(key) ? params.get(key) : undefined; };
  var remember = function (key) {
    return function (value) {
      if (value) params.set(key, value); else params.delete(key);
      var search = params.toString();
      history.replaceState(null, '', location.pathname + (search ? '?' + search : ''));
    };
  };

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
      query: initial('query'),
      variables: initial('variables'),
      operationName: initial('operationName'),
      onEditQuery: remember('query'),
      onEditVariables: remember('variables'),
      onEditOperationName: remember('operationName'),
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false,
    }),
  );
})();
`;

export const PAGE_STYLE = `html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; }
.token-hint { flex: none; padding: 6px 12px; font: 13px/1.4 system-ui, sans-serif; color: #3b3b3b; background: #f3f4f6; border-bottom: 1px solid #d9dce1; }
.token-hint code { font: 12px ui-monospace, monospace; background: #e6e8ec; padding: 1px 4px; border-radius: 3px; }
#graphiql { flex: 1; min-height: 0; }
`;

/**
 * Only this origin's files: scripts and styles from the asset path (styles GraphiQL injects carry
 * the nonce), fonts and icons inlined as data: URIs in GraphiQL's CSS, fetches and the WebSocket
 * to this origin ('self' covers ws: of the same host).
 */
export const contentSecurityPolicy = (nonce: string) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

const escapeAttr = (s: string) => s.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page: a one-line hint on getting a token, and GraphiQL below it. */
export function renderPage({ nonce, stylesheets, scripts }: { nonce: string; stylesheets: string[]; scripts: string[] }): string {
  const asset = (name: string) => escapeAttr(`${ASSET_PATH}/${name}`);
  const boot = scripts.at(-1);
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>GraphiQL — federated platform</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <link rel="icon" href="data:,">
${stylesheets.map((s) => `  <link rel="stylesheet" href="${asset(s)}">`).join('\n')}
</head>
<body>
  <div class="token-hint">Need a token? Run the <code>login</code> mutation, then put <code>{"Authorization": "Bearer &lt;accessToken&gt;"}</code> in <b>Headers</b> below the editor.</div>
  <div id="graphiql">Loading GraphiQL…<noscript> GraphiQL needs JavaScript.</noscript></div>
${scripts.map((s) => `  <script src="${asset(s)}"${s === boot ? ` nonce="${escapeAttr(nonce)}"` : ''}></script>`).join('\n')}
</body>
</html>`;
}
