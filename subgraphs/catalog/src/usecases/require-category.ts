import { invalid } from '../inputs.js';
import type { CategoryRepository } from '../repositories/index.js';

export const unknownCategory = () => invalid('categoryId', 'Category not found');

/**
 * A product is about to point at this category: it must exist, and it stays (FOR SHARE) until
 * the transaction ends, so a concurrent deleteCategory waits and then sees the product.
 */
export async function requireCategory(categories: CategoryRepository, categoryId: string): Promise<void> {
  if (!(await categories.findForShare(categoryId))) throw unknownCategory();
}
