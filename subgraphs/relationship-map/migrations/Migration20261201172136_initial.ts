import { Migration } from '@mikro-orm/migrations';

export class Migration20261201172136_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "aggregate_signals" ("id" uuid not null, "user_id" uuid not null, "window_days" int not null, "activity_volume" varchar(16) not null, "reaction_count" varchar(16) not null, "comment_count" varchar(16) not null, "post_count" varchar(16) not null, "collected_at" timestamptz not null, "valid_until" timestamptz not null, primary key ("id"))',
    );
    this.addSql(
      'alter table "aggregate_signals" add constraint "aggregate_signals_user_id_window_days_unique" unique ("user_id", "window_days")',
    );
    this.addSql(
      'create table "facebook_links" ("user_id" uuid not null, "facebook_user_id" varchar(64) null, "encrypted_token" text null, "connected_at" timestamptz null, "disconnected_at" timestamptz null, primary key ("user_id"))',
    );
    this.addSql(
      'create table "map_preferences" ("user_id" uuid not null, "max_nodes" int not null, "update_frequency" varchar(16) not null, "display_mode" varchar(16) not null, "updated_at" timestamptz not null, primary key ("user_id"))',
    );
    this.addSql(
      'create table "relationship_maps" ("id" uuid not null, "user_id" uuid not null, "generated_at" timestamptz not null, "seed" varchar(128) not null, "nodes" jsonb not null, "basis" jsonb not null, primary key ("id"))',
    );
    this.addSql('create index "relationship_maps_user_id_generated_at_index" on "relationship_maps" ("user_id", "generated_at")');
  }
}
