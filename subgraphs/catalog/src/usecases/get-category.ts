import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { CatalogDeps } from '../deps.js';
import { uuid } from '../inputs.js';
import type { CategoryView } from '../views.js';
import { loadCategories } from './load-categories.js';

const getCategoryInput = z.object({ id: uuid('Category id') });

/** One category (public); null when there is none with this id. */
export async function getCategory(deps: CatalogDeps, id: unknown): Promise<CategoryView | null> {
  const input = parseInput(getCategoryInput, { id });
  const [category] = await loadCategories(deps, [input.id]);
  return category;
}
