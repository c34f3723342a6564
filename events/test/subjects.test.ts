import { describe, expect, it } from 'vitest';
import { assertCatalogFitsStreams } from '../src/schemas.js';
import { isStoredSubject } from '../src/subjects.js';
import { Subjects, deadLetterSubject, durableSubjects, fanoutSubjects } from '../src/index.js';

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
});
