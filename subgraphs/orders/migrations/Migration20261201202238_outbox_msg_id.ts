import { Migration } from '@mikro-orm/migrations';

export class Migration20261201202238_outbox_msg_id extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "outbox" add "msg_id" varchar(200) null');
  }
}
