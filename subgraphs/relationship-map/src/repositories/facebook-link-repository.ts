import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { FacebookLink } from '../entities/index.js';

export class FacebookLinkRepository {
  constructor(private readonly em: EntityManager) {}

  find(userId: string): Promise<FacebookLink | null> {
    return this.em.findOne(FacebookLink, { userId });
  }

  /** The link with its row locked until the transaction ends (connect, disconnect and a signal refresh do not interleave). */
  findForUpdate(userId: string): Promise<FacebookLink | null> {
    return this.em.findOne(FacebookLink, { userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  async connect(userId: string, facebookUserId: string, encryptedToken: string, at: Date): Promise<FacebookLink> {
    return this.em.upsert(
      FacebookLink,
      { userId, facebookUserId, encryptedToken, connectedAt: at, disconnectedAt: null },
      { onConflictFields: ['userId'] },
    );
  }

  /** Forgets the Facebook account and its token; only the time of the disconnect stays. */
  async disconnect(userId: string, at: Date): Promise<void> {
    await this.em.nativeUpdate(
      FacebookLink,
      { userId },
      { facebookUserId: null, encryptedToken: null, connectedAt: null, disconnectedAt: at },
    );
  }

  deleteForUser(userId: string): Promise<number> {
    return this.em.nativeDelete(FacebookLink, { userId });
  }
}
