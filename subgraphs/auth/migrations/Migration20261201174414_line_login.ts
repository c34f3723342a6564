import { Migration } from '@mikro-orm/migrations';

export class Migration20261201174414_line_login extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "users" alter column "email" drop not null');
  }
}
