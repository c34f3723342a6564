import { executePrepared, serviceSchema } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Product } from '../entities/index.js';

/** The read model of the catalog's products (fed by catalog.product.* events). */
export class ProductRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Products that exist (not deleted), by id: the name and price an order snapshots (plain rows,
   * exact price text). `lockKey`: first takes that transaction-scoped advisory lock, shared, in the
   * same statement (inside a transaction; see lockUserOrders: only the erasure takes it exclusive).
   */
  async findAvailable(
    ids: readonly string[],
    options: { lockKey?: string } = {},
  ): Promise<Map<string, Pick<Product, 'id' | 'name' | 'price'>>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0 && !options.lockKey) return new Map();
    const available = unique.length
      ? `select id, name, price::text as price from ${this.schema}.products where id = any(?::uuid[]) and deleted_at is null`
      : 'select null::uuid as id, null as name, null as price where false';
    // The lock first, then the read, in one statement (one row even when no product is found).
    const sql = options.lockKey
      ? `select p.* from (select pg_advisory_xact_lock_shared(hashtext(?))) l left join lateral (${available}) p on true`
      : available;
    const rows = await executePrepared<Pick<Product, 'id' | 'name' | 'price'>>(this.em, sql, [
      ...(options.lockKey ? [options.lockKey] : []),
      ...(unique.length ? [unique] : []),
    ]);
    return new Map(rows.filter((p) => p.id !== null).map((p) => [p.id, p]));
  }

  private get schema() {
    return serviceSchema(this.em);
  }

  /**
   * Applies a catalog version: inserts it, or overwrites the row when it is newer than the one
   * held (an older event arriving late changes nothing; a tombstone wins over older upserts).
   */
  async apply(data: {
    id: string;
    name?: string;
    price?: string;
    categoryId?: string | null;
    sourceUpdatedAt: Date;
    deletedAt: Date | null;
  }): Promise<void> {
    const set = data.deletedAt
      ? 'deleted_at = excluded.deleted_at, source_updated_at = excluded.source_updated_at'
      : 'name = excluded.name, price = excluded.price, category_id = excluded.category_id, source_updated_at = excluded.source_updated_at, deleted_at = null';
    const table = `${this.schema}.products`;
    await this.em.execute(
      `insert into ${table} as p (id, name, price, category_id, source_updated_at, deleted_at) values (?, ?, ?, ?, ?, ?)
       on conflict (id) do update set ${set} where p.source_updated_at < excluded.source_updated_at`,
      [data.id, data.name ?? '', data.price ?? '0', data.categoryId ?? null, data.sourceUpdatedAt, data.deletedAt],
    );
  }
}
