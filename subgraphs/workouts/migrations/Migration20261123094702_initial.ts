import { Migration } from '@mikro-orm/migrations';

export class Migration20261123094702_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "body_metrics" ("id" uuid not null, "user_id" uuid not null, "measured_at" timestamptz not null, "weight_kg" numeric(7,3) not null, "body_fat_pct" numeric(6,3) null, "note" varchar(1000) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"))',
    );
    this.addSql('create index "body_metrics_user_id_measured_at_index" on "body_metrics" ("user_id", "measured_at")');
    this.addSql(
      'create table "exercises" ("id" uuid not null, "owner_id" uuid null, "name" varchar(100) not null, "name_key" varchar(100) collate "C" not null, "type" varchar(50) not null, "primary_muscle" varchar(50) null, "is_active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"))',
    );
    this.addSql('create index "exercises_name_key_index" on "exercises" ("name_key")');
    this.addSql('alter table "exercises" add constraint "exercises_owner_id_name_key_unique" unique ("owner_id", "name_key")');
    this.addSql(
      'create table "workouts" ("id" uuid not null, "user_id" uuid not null, "started_at" timestamptz not null, "ended_at" timestamptz null, "note" varchar(1000) null, "next_set_index" int not null default 0, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"))',
    );
    this.addSql('create index "workouts_user_id_started_at_index" on "workouts" ("user_id", "started_at")');
    this.addSql(
      'create table "workout_sets" ("id" uuid not null, "workout_id" uuid not null, "user_id" uuid not null, "exercise_id" uuid not null, "set_index" int not null, "reps" int not null, "weight_kg" numeric(8,3) null, "note" varchar(1000) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"))',
    );
    this.addSql('create index "workout_sets_user_id_index" on "workout_sets" ("user_id")');
    this.addSql('create index "workout_sets_exercise_id_index" on "workout_sets" ("exercise_id")');
    this.addSql('alter table "workout_sets" add constraint "workout_sets_workout_id_set_index_unique" unique ("workout_id", "set_index")');
    this.addSql(
      'alter table "workout_sets" add constraint "workout_sets_workout_id_foreign" foreign key ("workout_id") references "workouts" ("id") on delete cascade',
    );
    this.addSql(
      'alter table "workout_sets" add constraint "workout_sets_exercise_id_foreign" foreign key ("exercise_id") references "exercises" ("id")',
    );
  }
}
