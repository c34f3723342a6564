import type { GraphQLResolverMap } from '@apollo/subgraph';
import { adminOnly, DateTimeScalar, DecimalScalar, type SubgraphContext } from '@app/platform';
import DataLoader from 'dataloader';
import type { CatalogDeps } from '../deps.js';
import { createCategory } from '../usecases/create-category.js';
import { createProduct } from '../usecases/create-product.js';
import { deleteCategory } from '../usecases/delete-category.js';
import { deleteProduct } from '../usecases/delete-product.js';
import { getCategory } from '../usecases/get-category.js';
import { getProduct } from '../usecases/get-product.js';
import { listCategories } from '../usecases/list-categories.js';
import { listProducts } from '../usecases/list-products.js';
import { listProductsConnection } from '../usecases/list-products-connection.js';
import { loadCategories } from '../usecases/load-categories.js';
import { loadCategoryProducts } from '../usecases/load-category-products.js';
import { loadProducts } from '../usecases/load-products.js';
import { updateCategory } from '../usecases/update-category.js';
import { updateProduct } from '../usecases/update-product.js';
import type { CategoryView, ProductView } from '../views.js';

export interface CatalogGraphQLContext extends SubgraphContext {
  /** Products by id (entity references, `StockUpdate.product`): one cache lookup, one query for the misses. */
  productById: DataLoader<string, ProductView | null>;
  /** `Product.category` and category references of a whole response at once. */
  categoryById: DataLoader<string, CategoryView | null>;
  /** `Category.products` of every category in the response at once. */
  productsOfCategory: DataLoader<string, ProductView[]>;
}

export function buildContext(deps: CatalogDeps) {
  return (base: SubgraphContext): CatalogGraphQLContext => ({
    ...base,
    productById: new DataLoader((ids) => loadProducts(deps, ids)),
    categoryById: new DataLoader((ids) => loadCategories(deps, ids)),
    productsOfCategory: new DataLoader((ids) => loadCategoryProducts(deps, ids)),
  });
}

type Ctx = CatalogGraphQLContext;
type Args = Record<string, unknown>;
type Ref = { id: string };

/** GraphQL -> use cases. Reads are public; every write needs the admin scope (checked before the input). */
export function createResolvers(deps: CatalogDeps): GraphQLResolverMap<Ctx> {
  return {
    DateTime: DateTimeScalar,
    Decimal: DecimalScalar,
    Query: {
      category: (_: unknown, args: Args) => getCategory(deps, args.id),
      categories: () => listCategories(deps),
      product: (_: unknown, args: Args) => getProduct(deps, args.id),
      products: (_: unknown, args: Args) => listProducts(deps, args),
      productsConnection: (_: unknown, args: Args) => listProductsConnection(deps, args),
    },
    Mutation: {
      createCategory: adminOnly((args: Args) => createCategory(deps, args.input)),
      updateCategory: adminOnly((args: Args) => updateCategory(deps, args.input)),
      deleteCategory: adminOnly((args: Args) => deleteCategory(deps, args.id)),
      createProduct: adminOnly((args: Args) => createProduct(deps, args.input)),
      updateProduct: adminOnly((args: Args) => updateProduct(deps, args.input)),
      deleteProduct: adminOnly((args: Args) => deleteProduct(deps, args.id)),
    },
    Category: {
      __resolveReference: (ref: Ref, ctx: Ctx) => ctx.categoryById.load(String(ref.id)),
      products: (c: CategoryView, _: Args, ctx: Ctx) => ctx.productsOfCategory.load(c.id),
    },
    Product: {
      __resolveReference: (ref: Ref, ctx: Ctx) => ctx.productById.load(String(ref.id)),
      category: (p: ProductView, _: Args, ctx: Ctx) => (p.categoryId ? ctx.categoryById.load(p.categoryId) : null),
    },
    StockUpdate: {
      product: (u: { productId: string }, _: Args, ctx: Ctx) => ctx.productById.load(String(u.productId)),
    },
  };
}
