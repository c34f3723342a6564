import { Migration } from '@mikro-orm/migrations';

export class Migration20261123101658_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "categories" ("id" uuid not null, "name" varchar(200) not null, "name_key" varchar(200) collate "C" not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"))',
    );
    this.addSql('alter table "categories" add constraint "categories_name_key_unique" unique ("name_key")');
    this.addSql(
      'create table "inbox_messages" ("id" varchar(200) not null, "subject" varchar(200) not null, "received_at" timestamptz not null, "reply_subject" varchar(200) null, "reply_data" jsonb null, "stock_changes" jsonb null, primary key ("id"))',
    );
    this.addSql('create index "inbox_messages_received_at_index" on "inbox_messages" ("received_at")');
    this.addSql(
      'create table "inventory_orders" ("order_id" uuid not null, "saga_id" uuid not null, "state" varchar(16) not null, "reason" varchar(2000) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("order_id"))',
    );
    this.addSql(
      'create table "inventory_reservations" ("id" uuid not null, "order_id" uuid not null, "product_id" uuid not null, "quantity" int not null, "state" varchar(16) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"))',
    );
    this.addSql('create index "inventory_reservations_product_id_index" on "inventory_reservations" ("product_id")');
    this.addSql(
      'alter table "inventory_reservations" add constraint "inventory_reservations_order_id_product_id_unique" unique ("order_id", "product_id")',
    );
    this.addSql(
      'create table "products" ("id" uuid not null, "name" varchar(200) not null, "name_key" varchar(200) collate "C" not null, "description" varchar(5000) null, "price" numeric(18,4) not null, "stock_quantity" int not null, "category_id" uuid null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"))',
    );
    this.addSql('create index "products_category_id_index" on "products" ("category_id")');
    this.addSql('create index "products_name_key_id_index" on "products" ("name_key", "id")');
    this.addSql(
      "alter table \"inventory_orders\" add constraint \"inventory_orders_state_check\" check (state in ('reserved', 'failed', 'released', 'committed'))",
    );
    this.addSql('alter table "inventory_reservations" add constraint "inventory_reservations_quantity_check" check (quantity > 0)');
    this.addSql(
      "alter table \"inventory_reservations\" add constraint \"inventory_reservations_state_check\" check (state in ('reserved', 'released', 'committed'))",
    );
    this.addSql(
      'alter table "products" add constraint "products_category_id_foreign" foreign key ("category_id") references "categories" ("id") on delete no action',
    );
    this.addSql('alter table "products" add constraint "products_stock_quantity_check" check (stock_quantity >= 0)');
    this.addSql('alter table "products" add constraint "products_price_check" check (price > 0)');
  }
}
