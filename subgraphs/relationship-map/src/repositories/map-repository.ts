import type { EntityManager } from '@mikro-orm/postgresql';
import { type MapBasis, RelationshipMap, type StoredMapNode } from '../entities/index.js';

export class MapRepository {
  constructor(private readonly em: EntityManager) {}

  async create(userId: string, data: { seed: string; nodes: StoredMapNode[]; basis: MapBasis }): Promise<RelationshipMap> {
    const map = this.em.create(RelationshipMap, { userId, ...data });
    await this.em.flush();
    return map;
  }

  /** The map when it is the user's: another user's map is simply not found. */
  findByIdForUser(userId: string, id: string): Promise<RelationshipMap | null> {
    return this.em.findOne(RelationshipMap, { id, userId });
  }

  findNewestForUser(userId: string, page: { limit: number; offset: number }): Promise<RelationshipMap[]> {
    return this.em.find(
      RelationshipMap,
      { userId },
      { orderBy: [{ generatedAt: 'desc' }, { id: 'desc' }], limit: page.limit, offset: page.offset },
    );
  }

  deleteForUser(userId: string): Promise<number> {
    return this.em.nativeDelete(RelationshipMap, { userId });
  }
}
