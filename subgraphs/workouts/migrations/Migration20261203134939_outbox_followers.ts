import { Migration } from '@mikro-orm/migrations';

export class Migration20261203134939_outbox_followers extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "outbox" add "followers" jsonb null');
  }
}
