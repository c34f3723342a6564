import { Migration } from '@mikro-orm/migrations';

export class Migration20261201202304_outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "outbox" ("seq" bigserial primary key, "id" uuid not null, "msg_id" varchar(200) null, "subject" varchar(100) not null, "kind" varchar(8) not null, "payload" jsonb not null, "created_at" timestamptz not null, "sent_at" timestamptz null, "attempts" int not null default 0, "last_error" text null)',
    );
    this.addSql('alter table "outbox" add constraint "outbox_id_unique" unique ("id")');
    this.addSql('create index "outbox_sent_at_index" on "outbox" ("sent_at")');
  }
}
