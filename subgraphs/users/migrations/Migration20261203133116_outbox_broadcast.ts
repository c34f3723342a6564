import { Migration } from '@mikro-orm/migrations';

export class Migration20261203133116_outbox_broadcast extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "outbox" add "broadcast_subject" varchar(100) null, add "broadcast_payload" jsonb null');
  }
}
