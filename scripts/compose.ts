/** `npm run compose`: supergraph.yaml -> supergraph.graphql (commit the result). */
import { writeFileSync } from 'node:fs';
import { composeSupergraph } from '../gateway/src/compose-supergraph.js';
import { supergraphPath } from '../gateway/src/supergraph.js';

try {
  writeFileSync(supergraphPath, composeSupergraph());
  console.log(`wrote ${supergraphPath}`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
