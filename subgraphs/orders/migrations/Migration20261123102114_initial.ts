import { Migration } from '@mikro-orm/migrations';

export class Migration20261123102114_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "erasures" ("user_id" uuid not null, "requested_at" timestamptz not null, "completed_at" timestamptz null, primary key ("user_id"))',
    );
    this.addSql(
      'create table "orders" ("id" uuid not null, "user_id" uuid not null, "status" varchar(16) not null, "total_amount" numeric(18,4) not null, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"))',
    );
    this.addSql('create index "orders_user_id_created_at_index" on "orders" ("user_id", "created_at")');
    this.addSql(
      'create table "order_items" ("id" uuid not null, "order_id" uuid not null, "position" int not null, "product_id" uuid not null, "product_name" text not null, "quantity" int not null, "unit_price" numeric(18,4) not null, "subtotal" numeric(18,4) not null, primary key ("id"))',
    );
    this.addSql('alter table "order_items" add constraint "order_items_order_id_position_unique" unique ("order_id", "position")');
    this.addSql(
      'create table "outbox" ("seq" bigserial primary key, "id" uuid not null, "subject" varchar(100) not null, "kind" varchar(8) not null, "payload" jsonb not null, "created_at" timestamptz not null, "sent_at" timestamptz null, "attempts" int not null default 0, "last_error" text null)',
    );
    this.addSql('alter table "outbox" add constraint "outbox_id_unique" unique ("id")');
    this.addSql('create index "outbox_sent_at_index" on "outbox" ("sent_at")');
    this.addSql('create table "processed_messages" ("id" varchar(300) not null, "processed_at" timestamptz not null, primary key ("id"))');
    this.addSql('create index "processed_messages_processed_at_index" on "processed_messages" ("processed_at")');
    this.addSql(
      'create table "products" ("id" uuid not null, "name" text not null, "price" numeric(18,4) not null, "category_id" uuid null, "source_updated_at" timestamptz not null, "deleted_at" timestamptz null, primary key ("id"))',
    );
    this.addSql(
      'create table "sagas" ("id" uuid not null, "order_id" uuid not null, "state" varchar(32) not null, "status" varchar(16) not null, "current_step" varchar(32) null, "completed_steps" jsonb not null, "pending_compensations" jsonb not null, "failure_reason" varchar(1000) null, "terminal_state" varchar(16) null, "payment_status" varchar(16) null, "payment_id" varchar(100) null, "step_started_at" timestamptz not null, "deadline_at" timestamptz null, "started_at" timestamptz not null, "completed_at" timestamptz null, "updated_at" timestamptz not null, primary key ("id"))',
    );
    this.addSql('create index "sagas_deadline_at_index" on "sagas" ("deadline_at")');
    this.addSql('alter table "sagas" add constraint "sagas_order_id_unique" unique ("order_id")');
    this.addSql(
      "alter table \"orders\" add constraint \"orders_status_check\" check (status in ('PENDING', 'PROCESSING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'))",
    );
    this.addSql(
      'alter table "order_items" add constraint "order_items_order_id_foreign" foreign key ("order_id") references "orders" ("id") on delete cascade',
    );
    this.addSql('alter table "order_items" add constraint "order_items_quantity_check" check (quantity > 0)');
    this.addSql(
      'alter table "sagas" add constraint "sagas_order_id_foreign" foreign key ("order_id") references "orders" ("id") on delete cascade',
    );
    this.addSql(
      "alter table \"sagas\" add constraint \"sagas_status_check\" check (status in ('STARTED', 'RUNNING', 'COMPLETED', 'FAILED', 'COMPENSATING'))",
    );
  }
}
