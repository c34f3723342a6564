import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Category } from '../entities/index.js';

/** Categories, in name order everywhere. */
export class CategoryRepository {
  constructor(private readonly em: EntityManager) {}

  findByIds(ids: readonly string[]): Promise<Category[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.em.find(Category, { id: { $in: [...new Set(ids)] } });
  }

  findById(id: string): Promise<Category | null> {
    return this.em.findOne(Category, { id });
  }

  listAll(): Promise<Category[]> {
    return this.em.find(Category, {}, { orderBy: [{ nameKey: 'asc' }, { id: 'asc' }] });
  }

  /** A category with this name key, other than `exceptId`. */
  findByNameKey(nameKey: string, exceptId?: string): Promise<Category | null> {
    return this.em.findOne(Category, exceptId ? { nameKey, id: { $ne: exceptId } } : { nameKey });
  }

  async create(data: { name: string; nameKey: string }): Promise<Category> {
    const category = this.em.create(Category, data);
    await this.em.flush();
    return category;
  }

  /** Row-locked for the rest of the transaction. */
  findForUpdate(id: string): Promise<Category | null> {
    return this.em.findOne(Category, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** Locked against deletion (FOR SHARE) until the transaction ends: a product is about to point at it. */
  findForShare(id: string): Promise<Category | null> {
    return this.em.findOne(Category, { id }, { lockMode: LockMode.PESSIMISTIC_READ });
  }

  async delete(id: string): Promise<boolean> {
    return (await this.em.nativeDelete(Category, { id })) > 0;
  }
}
