import { Migration } from '@mikro-orm/migrations';

export class Migration20261201230547_outbox_trace_context extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "outbox" add "trace_context" text null');
  }
}
