import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * The inbox: ids of messages already handled (`<subject>:<event id>`), recorded in the handler's
 * transaction, so a redelivered message changes nothing.
 */
export const ProcessedMessage = defineEntity({
  name: 'ProcessedMessage',
  tableName: 'processed_messages',
  properties: {
    id: p.string().length(300).primary(),
    processedAt: p.datetime().index(),
  },
});
export type ProcessedMessage = InferEntity<typeof ProcessedMessage>;
