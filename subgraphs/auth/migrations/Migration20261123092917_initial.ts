import { Migration } from '@mikro-orm/migrations';

export class Migration20261123092917_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "refresh_tokens" ("id" uuid not null, "family_id" uuid not null, "user_id" uuid not null, "token_hash" varchar(64) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"))',
    );
    this.addSql('create index "refresh_tokens_family_id_index" on "refresh_tokens" ("family_id")');
    this.addSql('create index "refresh_tokens_user_id_index" on "refresh_tokens" ("user_id")');
    this.addSql('alter table "refresh_tokens" add constraint "refresh_tokens_token_hash_unique" unique ("token_hash")');
    this.addSql(
      'create table "signing_keys" ("kid" varchar(64) not null, "alg" varchar(16) not null, "public_jwk" jsonb not null, "private_jwk" jsonb not null, "created_at" timestamptz not null, "retired_at" timestamptz null, primary key ("kid"))',
    );
    this.addSql(
      'create table "users" ("id" uuid not null, "username" varchar(32) not null, "username_key" varchar(32) not null, "email" varchar(254) not null, "password_hash" text null, "line_user_id" varchar(64) null, "scopes" varchar(255) not null default \'user\', "created_at" timestamptz not null, "updated_at" timestamptz not null, "last_login_at" timestamptz null, primary key ("id"))',
    );
    this.addSql('alter table "users" add constraint "users_username_key_unique" unique ("username_key")');
    this.addSql('alter table "users" add constraint "users_email_unique" unique ("email")');
    this.addSql('alter table "users" add constraint "users_line_user_id_unique" unique ("line_user_id")');
  }
}
