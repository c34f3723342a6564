/**
 * Rooms kept small: no file over 300 lines in `gateway/src`, and no function over 80 lines in
 * the services, the shared packages, the scripts and the benchmarks, except the REST facade's
 * route tables (declarative lists of routes, one entry each, read as tables).
 */
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repoRoot = new URL('..', import.meta.url).pathname;
const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 80;
const isRouteTable = (file: string, name: string) => file.startsWith('gateway/src/facade/rest/routes/') && name.endsWith('Routes');

/** Every function (declaration, expression, arrow, method) longer than the limit: `file:line name (lines)`. */
function longFunctions(file: string, source: string, limit = MAX_FUNCTION_LINES): string[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node)) {
      const first = tree.getLineAndCharacterOfPosition(node.getStart()).line;
      const lines = tree.getLineAndCharacterOfPosition(node.getEnd()).line - first + 1;
      const name = node.name?.getText() ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText() : '(anonymous)');
      if (lines > limit && !isRouteTable(file, name)) found.push(`${file}:${first + 1} ${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

describe('sizes', () => {
  it(`no file in gateway/src is over ${MAX_FILE_LINES} lines`, () => {
    const files = globSync('gateway/src/**/*.ts', { cwd: repoRoot });
    expect(files.length).toBeGreaterThan(40);
    const long = files.map((f) => [f, read(f).split('\n').length] as const).filter(([, n]) => n > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  it(`no function is over ${MAX_FUNCTION_LINES} lines outside the route tables`, () => {
    const files = globSync(
      ['gateway/src/**/*.ts', 'platform/src/**/*.ts', 'events/src/**/*.ts', 'subgraphs/*/src/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
      { cwd: repoRoot },
    );
    expect(files.length).toBeGreaterThan(200);
    expect(files.flatMap((f) => longFunctions(f, read(f)))).toEqual([]);
  });

  it('the check finds a long function, and lets a route table be', () => {
    const body = Array.from({ length: 85 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    expect(longFunctions('gateway/src/x.ts', `export function tooLong() {\n${body}\n}\n`)).toEqual([
      'gateway/src/x.ts:1 tooLong (87 lines)',
    ]);
    expect(longFunctions('gateway/src/facade/rest/routes/x.ts', `export const xRoutes = () => {\n${body}\n};\n`)).toEqual([]);
  });
});
