import { Migration } from '@mikro-orm/migrations';

export class Migration20261123092956_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "deletion_requests" ("id" uuid not null, "user_id" uuid not null, "requested_at" timestamptz not null, "completed_at" timestamptz null, "pending_services" jsonb not null, "attempts" int not null default 1, primary key ("id"))',
    );
    this.addSql('create index "deletion_requests_user_id_index" on "deletion_requests" ("user_id")');
    this.addSql(
      'create table "profiles" ("user_id" uuid not null, "first_name" varchar(100) null, "last_name" varchar(100) null, "display_name" varchar(100) null, "picture_url" varchar(2048) null, "locale" varchar(35) not null, "facebook_user_id" varchar(64) null, "initialized_at" timestamptz null, "last_login_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("user_id"))',
    );
  }
}
