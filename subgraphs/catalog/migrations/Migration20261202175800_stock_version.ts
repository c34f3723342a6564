import { Migration } from '@mikro-orm/migrations';

export class Migration20261202175800_stock_version extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "products" add "stock_version" bigint not null default '0'`);
  }
}
