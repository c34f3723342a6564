import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The service's schema, quoted, for plain SQL (`${serviceSchema(em)}.orders`): the ORM qualifies
 * its own queries, not raw SQL, and every service has a schema of its own.
 */
export function serviceSchema(em: EntityManager): string {
  return `"${em.config.get('schema') ?? 'public'}"`;
}
