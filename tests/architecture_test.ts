// The house rules (ARCHITECTURE.md "Layout"), read from the import lines of the real
// tree: lib/ is folders only, each declaring in its mod.ts what it may import; layers
// point down; only lib/web reaches server/; server/ reaches no lib/; islands and
// components use browser-safe modules only; runtime entry points never load the dev
// bring-up or synthetic traffic (also read from Deno's own module graph). The checker is also run on small planted trees, each
// with one forbidden edge, which it must report: a check that cannot fail proves nothing.
import assert from "node:assert/strict";
import { checkHouse, type FolderRules, importsOf } from "./support/architecture.ts";

const REPO = new URL("../", import.meta.url);
const SKIP = /^(node_modules|\.cache|\.data|\.git|data|static|docs)(\/|$)/;

async function readTree(dir = REPO, prefix = ""): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const entry of Deno.readDir(dir)) {
    const path = prefix + entry.name;
    if (SKIP.test(path)) continue;
    if (entry.isDirectory) {
      for (const [p, s] of await readTree(new URL(`${entry.name}/`, dir), `${path}/`)) {
        files.set(p, s);
      }
    } else if (/\.tsx?$/.test(entry.name)) {
      files.set(path, await Deno.readTextFile(new URL(entry.name, dir)));
    }
  }
  return files;
}

async function readRules(): Promise<Map<string, FolderRules>> {
  const rules = new Map<string, FolderRules>();
  for await (const entry of Deno.readDir(new URL("lib/", REPO))) {
    if (!entry.isDirectory) continue;
    const mod = new URL(`lib/${entry.name}/mod.ts`, REPO);
    const exists = await Deno.stat(mod).then(() => true, () => false);
    if (!exists) continue; // reported by the checker
    const { RULES } = await import(mod.href) as { RULES: FolderRules };
    rules.set(entry.name, RULES);
  }
  return rules;
}

const RULES_OF_TEST: Map<string, FolderRules> = new Map([
  ["core", { layer: 0, imports: [], npm: [], browserSafe: "all" }],
  ["db", { layer: 1, imports: ["core"], npm: ["postgres"], browserSafe: [] }],
  ["dashboard", { layer: 5, imports: ["core", "db"], npm: [], browserSafe: ["model.ts"] }],
  ["services", { layer: 8, imports: ["core", "db"], npm: [], browserSafe: [] }],
  ["synth", { layer: 5, imports: ["core"], npm: [], browserSafe: [] }],
  ["web", { layer: 7, imports: ["core", "db", "dashboard"], npm: ["hono"], browserSafe: [] }],
]);

/** A small tree that keeps every rule. */
function cleanTree(): Map<string, string> {
  return new Map([
    ["lib/core/event.ts", "export const PRODUCTS = [];\n"],
    ["lib/db/client.ts", 'import postgres from "postgres";\nimport "../core/event.ts";\n'],
    ["lib/dashboard/model.ts", 'import { PRODUCTS } from "../core/event.ts";\n'],
    ["lib/dashboard/summary.ts", 'import type { Sql } from "../db/client.ts";\n'],
    ["lib/web/auth.ts", 'import { HttpError } from "../../server/http_error.ts";\n'],
    ["lib/services/kafka_local.ts", 'import "../db/client.ts";\n'],
    ["server/http_error.ts", 'import { Hono } from "hono";\n'],
    ["islands/View.tsx", 'import { h } from "preact";\nimport "../lib/dashboard/model.ts";\n'],
    ["routes/index.tsx", 'import "../lib/web/auth.ts";\n'],
    ["main.ts", 'import "./lib/web/auth.ts";\n'],
    ["scripts/gen.ts", 'import "../lib/synth/writer.ts";\n'],
    ["lib/synth/writer.ts", 'import "../core/event.ts";\n'],
    ["tests/support/services.ts", 'import "../../lib/services/kafka_local.ts";\n'],
    ["tests/foo_test.ts", 'import "./support/services.ts";\n'],
  ]);
}

Deno.test("the tree keeps the house rules: lib/ by folder, layers down, no leaks", async () => {
  const files = await readTree();
  const rules = await readRules();
  assert.ok(rules.size >= 12, `rules of ${rules.size} lib/ folders`);
  const violations = checkHouse(files, rules);
  assert.deepEqual(
    violations.map((v) => `${v.file}: ${v.rule}: ${v.detail}`),
    [],
  );
});

Deno.test("the import reader sees statements, not strings or comments that look like them", () => {
  const source = [
    'import { a } from "./a.ts";',
    "import type {",
    "  B,",
    '} from "../b.ts";',
    'export { c } from "./c.ts";',
    'import "./side_effect.ts";',
    'const text = `import { x } from "${where}"`;',
    '// import { y } from "./commented.ts";',
    'const lazy = await import("./lazy.ts");',
  ].join("\n");
  assert.deepEqual(importsOf(source), [
    "./a.ts",
    "../b.ts",
    "./c.ts",
    "./side_effect.ts",
    "./lazy.ts",
  ]);
});

Deno.test("the checker passes a clean tree and reports each planted forbidden edge", () => {
  assert.deepEqual(checkHouse(cleanTree(), RULES_OF_TEST), []);
  const planted: [string, string, string, RegExp][] = [
    ["a loose module in lib/", "lib/loose.ts", "export {};\n", /lib\/ holds folders only/],
    [
      "an upward import",
      "lib/db/up.ts",
      'import "../dashboard/model.ts";\n',
      /lib\/db imports only core/,
    ],
    [
      "lib/ reaching server/",
      "lib/dashboard/x.ts",
      'import "../../server/http_error.ts";\n',
      /only lib\/web may use server/,
    ],
    [
      "server/ reaching lib/",
      "server/x.ts",
      'import "../lib/core/event.ts";\n',
      /server\/ imports no lib/,
    ],
    [
      "an undeclared npm package",
      "lib/db/x.ts",
      'import "kafkajs";\n',
      /declares the npm packages/,
    ],
    [
      "an island using server code",
      "islands/Bad.tsx",
      'import "../lib/dashboard/summary.ts";\n',
      /only browser-safe/,
    ],
    [
      "a browser-safe module using server code",
      "lib/dashboard/model.ts",
      'import "./summary.ts";\n',
      /browser-safe modules import only browser-safe/,
    ],
    [
      "a browser-safe module using Deno",
      "lib/core/clock.ts",
      "export const now = Deno.args;\n",
      /use no Deno API/,
    ],
    [
      "a route loading the bring-up",
      "routes/health.ts",
      'import "../lib/services/kafka_local.ts";\n',
      /never load lib\/services/,
    ],
    [
      "main.ts loading synth through lib",
      "lib/web/sim.ts",
      'import "../synth/writer.ts";\n',
      /lib\/web imports only/,
    ],
    ["a helper outside tests/support/", "tests/helpers.ts", "export {};\n", /tests\/support/],
    [
      "a task importing tests",
      "scripts/x.ts",
      'import "../tests/support/services.ts";\n',
      /never import tests/,
    ],
  ];
  for (const [name, path, source, expected] of planted) {
    const files = cleanTree();
    files.set(path, source);
    const found = checkHouse(files, RULES_OF_TEST).map((v) => `${v.file}: ${v.rule}: ${v.detail}`);
    assert.ok(found.some((line) => expected.test(line)), `${name}: ${JSON.stringify(found)}`);
  }
  // A rule set that points up is itself refused.
  const upward = new Map(RULES_OF_TEST);
  upward.set("db", { layer: 1, imports: ["core", "web"], npm: ["postgres"], browserSafe: [] });
  assert.match(
    checkHouse(cleanTree(), upward).map((v) => v.detail).join("\n"),
    /lib\/web \(layer 7\) is not below lib\/db \(layer 1\)/,
  );
  // Through a chain: main.ts → lib/web → lib/synth is caught at the entry point too.
  const files = cleanTree();
  files.set("lib/web/auth.ts", 'import "../synth/writer.ts";\n');
  const chain = checkHouse(files, RULES_OF_TEST).map((v) => `${v.file}: ${v.rule}: ${v.detail}`);
  assert.ok(
    chain.some((line) => line.startsWith("main.ts: runtime entry points never load lib/synth/")),
  );
});

/** The specifiers of every module `file` loads, statically. */
async function moduleGraph(file: URL): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", file.pathname],
    cwd: REPO.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  return info.modules.map((module) => module.specifier);
}

async function filesUnder(dir: URL, pattern: RegExp): Promise<URL[]> {
  const found: URL[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) found.push(...await filesUnder(new URL(`${entry.name}/`, dir), pattern));
    else if (pattern.test(entry.name) && !/_test\./.test(entry.name)) {
      found.push(new URL(entry.name, dir));
    }
  }
  return found;
}

Deno.test("Deno's own module graph agrees: runtime entry points load no bring-up or synth code", async () => {
  const roots = [
    new URL("main.ts", REPO),
    new URL("workers/ingest.ts", REPO),
    ...await filesUnder(new URL("routes/", REPO), /\.tsx?$/),
    ...await filesUnder(new URL("islands/", REPO), /\.tsx?$/),
  ];
  assert.ok(roots.length > 10);
  const banned = ["lib/services/", "lib/synth/"].map((dir) => new URL(dir, REPO).href);
  for (const root of roots) {
    const loaded = await moduleGraph(root);
    assert.ok(loaded.length > 0, root.pathname);
    const offending = loaded.filter((specifier) => banned.some((dir) => specifier.startsWith(dir)));
    assert.deepEqual(offending, [], `${root.pathname.slice(REPO.pathname.length)} loads them`);
  }
  // server/ knows only hono, preact and itself, through everything it loads.
  const server = new URL("server/", REPO).href;
  for (const specifier of await moduleGraph(new URL("server/mod.ts", REPO))) {
    assert.ok(
      specifier.startsWith(server) ||
        /^npm:\/?(hono|preact|preact-render-to-string)@/.test(specifier),
      specifier,
    );
  }
});
