/**
 * The house rules as a checker over source text: given every file of the tree and each
 * `lib/` folder's declared `RULES` (its `mod.ts`), lists every import that breaks the
 * layout of ARCHITECTURE.md ("Layout"). Pure, so the test can run it on the real tree
 * and on small planted trees that must fail.
 *
 * @module
 */

/** A `lib/` folder's rules, as its `mod.ts` exports them. */
export interface FolderRules {
  layer: number;
  imports: readonly string[];
  npm: readonly string[];
  browserSafe: readonly string[] | "all";
}

/** One broken rule: where, and why. */
export interface Violation {
  file: string;
  rule: string;
  detail: string;
}

/** npm packages the browser side may use. */
const BROWSER_NPM = ["preact", "uplot"];
/** npm packages the Fresh-convention layer may use. */
const SERVER_NPM = ["hono", "preact", "preact-render-to-string"];
/** Entry points that run in production: they never reach dev bring-up or synthetic traffic. */
const RUNTIME_ENTRIES = /^(main\.ts|routes\/|workers\/)/;
const NEVER_FROM_RUNTIME = ["lib/services", "lib/synth"];

const isTest = (path: string) => /_test\.tsx?$/.test(path) || path.includes("/testdata/");

/** The module specifiers of the import and export statements of `source`. */
export function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  // Statements only: at the start of a line, so text inside strings and comments that
  // merely looks like an import is not read.
  const statement =
    /^\s*(?:import|export)\s+(?:type\s+)?(?:[\w*\s{},$]*?\s+from\s+)?["']([^"']+)["']/gm;
  for (const match of source.matchAll(statement)) specifiers.push(match[1]);
  for (const match of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
    specifiers.push(match[1]);
  }
  return specifiers;
}

/** `a/b/../c.ts` → `a/c.ts`. */
function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

function resolve(from: string, specifier: string): string {
  return normalize(`${from.split("/").slice(0, -1).join("/")}/${specifier}`);
}

/** The npm package a bare specifier names (`hono/body-limit` → `hono`). */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** `lib/<folder>` of a path, or undefined outside `lib/`. */
function folderOf(path: string): string | undefined {
  const parts = path.split("/");
  return parts[0] === "lib" && parts.length > 2 ? parts[1] : undefined;
}

/** Checks `files` (path → source, every `.ts`/`.tsx` of the tree) against `rules`. */
export function checkHouse(
  files: ReadonlyMap<string, string>,
  rules: ReadonlyMap<string, FolderRules>,
): Violation[] {
  const violations: Violation[] = [];
  const report = (file: string, rule: string, detail: string) =>
    violations.push({ file, rule, detail });

  const browserSafe = (path: string): boolean => {
    const folder = folderOf(path);
    const folderRules = folder ? rules.get(folder) : undefined;
    if (!folderRules) return false;
    const safe = folderRules.browserSafe;
    return safe === "all" || safe.includes(path.split("/").slice(2).join("/"));
  };

  for (const path of files.keys()) {
    if (path.startsWith("lib/") && path.split("/").length === 2) {
      report(path, "lib/ holds folders only", "move it into the folder of its step");
    }
    if (path.startsWith("tests/") && path.split("/").length === 2 && !isTest(path)) {
      report(path, "test helpers live in tests/support/", "move it there");
    }
  }
  for (const [folder, folderRules] of rules) {
    for (const imported of folderRules.imports) {
      const target = rules.get(imported);
      if (!target) report(`lib/${folder}/mod.ts`, "known folders", `no folder lib/${imported}`);
      else if (target.layer >= folderRules.layer) {
        report(
          `lib/${folder}/mod.ts`,
          "layers point down",
          `lib/${imported} (layer ${target.layer}) is not below lib/${folder} (layer ${folderRules.layer})`,
        );
      }
    }
  }
  for (const folder of new Set([...files.keys()].map(folderOf))) {
    if (folder && !rules.has(folder)) {
      report(`lib/${folder}/`, "every lib/ folder declares its rules", "add a mod.ts with RULES");
    }
  }

  // The import graph, for the rules that look through other modules.
  const graph = new Map<string, string[]>();
  for (const [path, source] of files) {
    if (isTest(path)) continue;
    graph.set(
      path,
      importsOf(source).filter((s) => s.startsWith(".")).map((s) => resolve(path, s)),
    );
  }

  for (const [path, source] of files) {
    if (isTest(path)) continue;
    const folder = folderOf(path);
    const folderRules = folder ? rules.get(folder) : undefined;
    const inBrowser = /^(islands|components)\//.test(path) || browserSafe(path);
    if (inBrowser && path.startsWith("lib/") && /\bDeno\./.test(source)) {
      report(path, "browser-safe modules use no Deno API", "it mentions Deno.");
    }
    for (const specifier of importsOf(source)) {
      const local = specifier.startsWith(".");
      const target = local ? resolve(path, specifier) : specifier;
      const targetFolder = local ? folderOf(target) : undefined;
      const edge = `imports ${target}`;

      if (!local) {
        const name = packageOf(specifier);
        if (specifier.startsWith("node:")) {
          if (inBrowser) report(path, "browser-safe modules import no node: builtin", edge);
        } else if (inBrowser) {
          if (!BROWSER_NPM.includes(name)) {
            report(path, "the browser imports preact and uplot only", edge);
          }
        } else if (path.startsWith("server/")) {
          if (!SERVER_NPM.includes(name)) {
            report(path, "server/ imports hono and preact only", edge);
          }
        } else if (folderRules && !folderRules.npm.includes(name)) {
          report(path, `lib/${folder} declares the npm packages it uses`, edge);
        }
        continue;
      }

      if (path.startsWith("server/") && !target.startsWith("server/")) {
        report(path, "server/ imports no lib/ or app code (swappable for real Fresh)", edge);
      }
      if (folder) {
        if (!target.startsWith("lib/")) {
          const allowed = folder === "web" && target.startsWith("server/");
          if (!allowed) {
            report(path, "lib/ never imports app code (only lib/web may use server/)", edge);
          }
        } else if (targetFolder && targetFolder !== folder && folderRules) {
          if (!folderRules.imports.includes(targetFolder)) {
            report(
              path,
              `lib/${folder} imports only ${folderRules.imports.join(", ") || "nothing"}`,
              edge,
            );
          }
        }
        if (browserSafe(path) && target.startsWith("lib/") && !browserSafe(target)) {
          report(path, "browser-safe modules import only browser-safe modules", edge);
        }
      }
      if (inBrowser && !path.startsWith("lib/")) {
        const ok = /^(components|islands)\//.test(target) ||
          (target.startsWith("lib/") && browserSafe(target));
        if (!ok) report(path, "islands and components import only browser-safe modules", edge);
        if (path.startsWith("components/") && target.startsWith("islands/")) {
          report(path, "components never import islands", edge);
        }
      }
      if (path.startsWith("scripts/") && /^(tests|bench)\//.test(target)) {
        report(path, "tasks never import tests or benchmarks", edge);
      }
    }
  }

  // Runtime entry points, through everything they load.
  for (const entry of graph.keys()) {
    if (!RUNTIME_ENTRIES.test(entry)) continue;
    const seen = new Set<string>([entry]);
    const queue = [entry];
    while (queue.length > 0) {
      const current = queue.shift()!;
      for (const next of graph.get(current) ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
        const banned = NEVER_FROM_RUNTIME.find((prefix) => next.startsWith(`${prefix}/`));
        if (banned) {
          report(entry, `runtime entry points never load ${banned}/`, `${current} imports ${next}`);
        }
      }
    }
  }
  return violations;
}
