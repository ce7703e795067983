/**
 * Finds import cycles among the repository's own source files (docs/cli.md, "import cycles").
 *
 *   node --import tsx harness/cli/import-cycles.ts [ROOT]      exit 0: none, 1: cycles listed
 *
 * Every .ts/.tsx/.mts/.cts/.mjs/.cjs/.js file under ROOT (default: this repository) is read with
 * the TypeScript parser, so imports inside comments, strings and templates are not mistaken for
 * real ones. Edges are relative specifiers only (packages cannot import us back) of every kind:
 * `import`, `import type`, `export … from`, `import()` and `require()`. A type-only edge counts:
 * the issue that asked for this check names perform.ts ↔ operator-path.ts, a value import one
 * way and a type import the other, and a reader has to hold both files in mind either way.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Directories that are not source: dependencies, run output, VCS data (mirrors .gitignore). */
const SKIP_DIRS = new Set(['node_modules', '.git', 'test-results', 'playwright-report', 'blob-report', 'allure-results', 'allure-report', '.cache']);
const SKIP_DIR_PREFIXES = ['lab-output'];
const CODE_EXT = ['.ts', '.tsx', '.mts', '.cts', '.mjs', '.cjs', '.js'];
/** Cycles listed per strongly connected component before the rest are only counted. */
const MAX_CYCLES_PER_COMPONENT = 50;

export type EdgeKind = 'import' | 'import type' | 'export from' | 'dynamic import' | 'require';

export interface ImportEdge {
  from: string;
  to: string;
  /** 1-based line of the import in `from`. */
  line: number;
  kind: EdgeKind;
}

export interface ImportGraph {
  /** Repository-relative paths with `/` separators, sorted. */
  files: string[];
  /** Resolved relative imports, in file order. */
  edges: ImportEdge[];
  /** Relative specifiers that match no file (`file:line specifier`); tsc reports them too. */
  unresolved: string[];
}

export interface CycleReport {
  /** Each cycle as its edges, starting at its alphabetically first file. */
  cycles: ImportEdge[][];
  /** Files of each strongly connected component that has a cycle (a file importing itself included). */
  components: string[][];
  /** Cycles not listed because a component had more than MAX_CYCLES_PER_COMPONENT. */
  notListed: number;
}

function isCode(name: string): boolean {
  return CODE_EXT.some((e) => name.endsWith(e)) && !name.endsWith('.d.ts');
}

function walk(root: string, dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (SKIP_DIRS.has(entry.name) || SKIP_DIR_PREFIXES.some((p) => entry.name.startsWith(p))) continue;
      walk(root, join(dir, entry.name), out);
    } else if (entry.isFile() && isCode(entry.name)) {
      out.push(relative(root, join(dir, entry.name)).split(sep).join('/'));
    }
  }
}

/** The file a relative specifier names, as Node/tsx (moduleResolution Bundler) would find it. */
function resolveSpecifier(root: string, from: string, spec: string): string | undefined {
  const base = resolve(root, dirname(from), spec);
  const candidates = [base];
  // A `.js` specifier may name the `.ts` source (TypeScript's convention).
  const jsToTs: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };
  for (const [js, tsExts] of Object.entries(jsToTs)) {
    if (base.endsWith(js)) candidates.push(...tsExts.map((e) => base.slice(0, -js.length) + e));
  }
  candidates.push(...CODE_EXT.map((e) => base + e), ...CODE_EXT.map((e) => join(base, `index${e}`)));
  for (const c of candidates) {
    if (existsSync(c) && statSync(c).isFile()) return relative(root, c).split(sep).join('/');
  }
  return undefined;
}

/** Every module specifier of one file with its line and kind. */
function importsOf(path: string, text: string): { spec: string; line: number; kind: EdgeKind }[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false);
  const found: { spec: string; line: number; kind: EdgeKind }[] = [];
  const add = (node: ts.Node, spec: ts.Expression | undefined, kind: EdgeKind) => {
    if (spec && ts.isStringLiteralLike(spec)) {
      found.push({ spec: spec.text, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, kind });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node, node.moduleSpecifier, typeOnly ? 'import type' : 'import');
    } else if (ts.isExportDeclaration(node)) {
      add(node, node.moduleSpecifier, 'export from');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, 'require');
    } else if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0], 'dynamic import');
      else if (ts.isIdentifier(node.expression) && node.expression.text === 'require') add(node, node.arguments[0], 'require');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal as ts.Expression, 'import type');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Reads every source file under `root` and resolves its relative imports. */
export function readImportGraph(root: string): ImportGraph {
  const files: string[] = [];
  walk(root, root, files);
  files.sort();
  const edges: ImportEdge[] = [];
  const unresolved: string[] = [];
  for (const file of files) {
    for (const { spec, line, kind } of importsOf(file, readFileSync(join(root, file), 'utf8'))) {
      if (!spec.startsWith('./') && !spec.startsWith('../')) continue;
      const to = resolveSpecifier(root, file, spec);
      if (to === undefined) {
        // A JSON or other data file is a leaf, not a missing module.
        if (!existsSync(resolve(root, dirname(file), spec))) unresolved.push(`${file}:${line} ${spec}`);
        continue;
      }
      if (isCode(to)) edges.push({ from: file, to, line, kind });
    }
  }
  return { files, edges, unresolved };
}

/** Tarjan's strongly connected components (iterative: deep import chains must not overflow the stack). */
function components(nodes: string[], out: Map<string, ImportEdge[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  let next = 0;
  for (const start of nodes) {
    if (index.has(start)) continue;
    const work: { node: string; edge: number }[] = [{ node: start, edge: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const frame = work[work.length - 1];
      const edges = out.get(frame.node) ?? [];
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++].to;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          component.push(n);
        } while (n !== frame.node);
        result.push(component.sort());
      }
    }
  }
  return result;
}

/** Every elementary cycle of the graph, each listed once from its alphabetically first file. */
export function findCycles(graph: ImportGraph): CycleReport {
  const out = new Map<string, ImportEdge[]>();
  for (const e of graph.edges) {
    const list = out.get(e.from) ?? [];
    // One edge per (from, to) pair: a file importing another twice is one dependency.
    if (!list.some((x) => x.to === e.to)) list.push(e);
    out.set(e.from, list);
  }
  const report: CycleReport = { cycles: [], components: [], notListed: 0 };
  for (const component of components(graph.files, out)) {
    const members = new Set(component);
    const selfLoop = component.length === 1 && (out.get(component[0]) ?? []).some((e) => e.to === component[0]);
    if (component.length === 1 && !selfLoop) continue;
    report.components.push(component);
    let listed = 0;
    // Cycles through `start` that visit only files after it: each cycle is found exactly once.
    for (const start of component) {
      const path: ImportEdge[] = [];
      const onPath = new Set<string>([start]);
      const dfs = (node: string): void => {
        for (const e of out.get(node) ?? []) {
          if (!members.has(e.to) || e.to < start) continue;
          if (e.to === start) {
            if (listed < MAX_CYCLES_PER_COMPONENT) report.cycles.push([...path, e]);
            else report.notListed++;
            listed++;
          } else if (!onPath.has(e.to)) {
            onPath.add(e.to);
            path.push(e);
            dfs(e.to);
            path.pop();
            onPath.delete(e.to);
          }
        }
      };
      dfs(start);
    }
  }
  return report;
}

/** `a.ts:17 → b.ts:15 (import type) → a.ts`: each arrow starts at the line that imports. */
export function formatCycle(cycle: ImportEdge[]): string {
  const hops = cycle.map((e) => `${e.from}:${e.line}${e.kind === 'import' ? '' : ` (${e.kind})`}`);
  return `${hops.join(' → ')} → ${cycle[0].from}`;
}

export function main(args: string[]): number {
  if (args[0] === '--help' || args[0] === '-h') {
    console.log('usage: node --import tsx harness/cli/import-cycles.ts [ROOT]   (default ROOT: this repository)');
    return 0;
  }
  if (args.length > 1 || args[0]?.startsWith('-')) {
    console.error(`import-cycles: unexpected argument ${args[args.length > 1 ? 1 : 0]}\nusage: node --import tsx harness/cli/import-cycles.ts [ROOT]`);
    return 2;
  }
  const root = resolve(args[0] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
  const graph = readImportGraph(root);
  const report = findCycles(graph);
  for (const u of graph.unresolved) console.error(`import-cycles: note: ${u} names no file`);
  if (report.cycles.length === 0 && report.components.length === 0) {
    console.log(`import-cycles: no cycle among ${graph.files.length} files (${graph.edges.length} relative imports)`);
    return 0;
  }
  console.log(`import-cycles: ${report.cycles.length + report.notListed} cycle(s) among ${graph.files.length} files:`);
  for (const c of report.cycles) console.log(`  ${formatCycle(c)}`);
  if (report.notListed) {
    console.log(`  … ${report.notListed} more not listed; the files involved:`);
    for (const c of report.components) console.log(`    ${c.join(', ')}`);
  }
  return 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
