import type { PayloadOf } from './schemas.js';
import { Subjects } from './subjects.js';

/**
 * The order saga's messages with the catalog's inventory (the orchestrator in orders, the
 * participant in catalog): which subjects are commands, which are replies, and their payloads.
 */
export const INVENTORY_COMMAND_SUBJECTS = [
  Subjects.CatalogInventoryReserve,
  Subjects.CatalogInventoryRelease,
  Subjects.CatalogInventoryCommit,
] as const;
export type InventoryCommandSubject = (typeof INVENTORY_COMMAND_SUBJECTS)[number];

export const INVENTORY_REPLY_SUBJECTS = [
  Subjects.CatalogInventoryReserved,
  Subjects.CatalogInventoryReservationFailed,
  Subjects.CatalogInventoryReleased,
  Subjects.CatalogInventoryCommitted,
] as const;
export type InventoryReplySubject = (typeof INVENTORY_REPLY_SUBJECTS)[number];

export type InventoryCommand<S extends InventoryCommandSubject = InventoryCommandSubject> = PayloadOf<S>;
export type InventoryReplyPayload<S extends InventoryReplySubject = InventoryReplySubject> = PayloadOf<S>;

export type ReserveInventoryCommand = InventoryCommand<typeof Subjects.CatalogInventoryReserve>;
export type ReleaseInventoryCommand = InventoryCommand<typeof Subjects.CatalogInventoryRelease>;
export type CommitInventoryCommand = InventoryCommand<typeof Subjects.CatalogInventoryCommit>;

export const isInventoryCommandSubject = (subject: string): subject is InventoryCommandSubject =>
  (INVENTORY_COMMAND_SUBJECTS as readonly string[]).includes(subject);
export const isInventoryReplySubject = (subject: string): subject is InventoryReplySubject =>
  (INVENTORY_REPLY_SUBJECTS as readonly string[]).includes(subject);
