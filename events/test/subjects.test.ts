import { describe, expect, it } from 'vitest';
import {
  deadLetterSubject,
  durableEventSchemas,
  durableSubjects,
  fanoutSubjects,
  INVENTORY_COMMAND_SUBJECTS,
  INVENTORY_REPLY_SUBJECTS,
  Subjects,
  userErasedMessage,
} from '../src/index.js';
import { assertCatalogFitsStreams } from '../src/schemas.js';
import { isStoredSubject } from '../src/subjects.js';

describe('subject catalog', () => {
  it('names every subject <domain>.<entity>.<event>', () => {
    for (const subject of Object.values(Subjects)) expect(subject).toMatch(/^[a-z]+\.[a-z_]+\.[a-z_]+$/);
  });

  it('stores durable subjects and dead letters, never fan-out subjects', () => {
    expect(() => assertCatalogFitsStreams()).not.toThrow();
    for (const subject of durableSubjects) expect(isStoredSubject(subject)).toBe(true);
    for (const subject of fanoutSubjects) expect(isStoredSubject(subject)).toBe(false);
    expect(isStoredSubject(deadLetterSubject(Subjects.UsersUserDeleted))).toBe(true);
    expect(deadLetterSubject(Subjects.UsersUserDeleted)).toBe('dlq.users.user.deleted');
  });

  it('carries every saga message durably, and no subject is both a command and a reply', () => {
    const saga: string[] = [...INVENTORY_COMMAND_SUBJECTS, ...INVENTORY_REPLY_SUBJECTS];
    for (const subject of saga) expect(durableSubjects).toContain(subject);
    expect(new Set(saga).size).toBe(saga.length);
  });

  it('builds a valid users.user.erased confirmation, one message id per service and user', () => {
    const userId = crypto.randomUUID();
    const erased = userErasedMessage('orders', userId, new Date('2024-01-02T03:04:05.000Z'));
    expect(erased).toEqual({
      subject: Subjects.UsersUserErased,
      payload: { userId, service: 'orders', erasedAt: '2024-01-02T03:04:05.000Z' },
      msgId: `erased:orders:${userId}`,
    });
    expect(durableEventSchemas[erased.subject].safeParse(erased.payload).success).toBe(true);
  });
});
