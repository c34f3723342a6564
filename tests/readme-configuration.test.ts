/**
 * The README's configuration table names every variable a service reads: each service's
 * validated environment (platform's common one, the gateway's, each subgraph's) and every
 * variable docker-compose.yml takes from `.env` are checked against the table's first column,
 * so a new setting cannot ship undocumented.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonEnv } from '@app/platform';
import { describe, expect, it } from 'vitest';
import { gatewayEnv } from '../gateway/src/config.js';
import { authEnv } from '../subgraphs/auth/src/config.js';
import { catalogEnv } from '../subgraphs/catalog/src/config.js';
import { ordersEnv } from '../subgraphs/orders/src/config.js';
import { relationshipMapEnv } from '../subgraphs/relationship-map/src/config.js';
import { usersEnv } from '../subgraphs/users/src/config.js';
import { workoutsEnv } from '../subgraphs/workouts/src/config.js';

const readme = readFileSync(join(new URL('..', import.meta.url).pathname, 'README.md'), 'utf8');

/** The variables in the first column of the Configuration section's table. */
function documented(): Set<string> {
  const section = readme.split(/^## Configuration$/m)[1]!.split(/^## /m)[0]!;
  const names = new Set<string>();
  for (const line of section.split('\n').filter((l) => l.startsWith('| `'))) {
    for (const [, name] of line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_<>]*)`/g)) names.add(name!);
  }
  return names;
}

const services = {
  common: commonEnv,
  gateway: gatewayEnv,
  auth: authEnv,
  users: usersEnv,
  workouts: workoutsEnv,
  catalog: catalogEnv,
  orders: ordersEnv,
  'relationship-map': relationshipMapEnv,
};

/** The variables docker-compose.yml reads from `.env` or the environment (`${NAME...}`, not the containers' `$${NAME}`). */
function composeVariables(): string[] {
  const compose = readFileSync(join(new URL('..', import.meta.url).pathname, 'docker-compose.yml'), 'utf8');
  return [...new Set([...compose.matchAll(/(?<!\$)\$\{([A-Z_]+)/g)].map((m) => m[1]!))];
}

describe('README configuration table', () => {
  const table = documented();
  it('has a row for the table itself', () => expect(table.size).toBeGreaterThan(50));

  it('documents every variable docker-compose.yml reads', () => {
    const variables = composeVariables();
    expect(variables.length).toBeGreaterThan(15);
    expect(variables.filter((name) => !table.has(name))).toEqual([]);
  });

  for (const [service, env] of Object.entries(services)) {
    it(`documents every variable ${service} reads`, () => {
      const missing = Object.keys(env).filter(
        (name) => !table.has(name) && !(/^SUBGRAPH_[A-Z_]+_URL$/.test(name) && table.has('SUBGRAPH_<NAME>_URL')),
      );
      expect(missing).toEqual([]);
    });
  }
});
