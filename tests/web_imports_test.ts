// What each layer may load, read from Deno's module graph: the web process (main.ts
// plus the routes and islands it imports at start) loads nothing of lib/services/ (the
// dev bring-up code that spawns brokers and databases); server/ knows only hono,
// preact and itself.
import assert from "node:assert/strict";

const REPO = new URL("../", import.meta.url);

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

Deno.test("the web process loads no lib/services/ code: main.ts, every route and island", async () => {
  const roots = [
    new URL("main.ts", REPO),
    ...await filesUnder(new URL("routes/", REPO), /\.tsx?$/),
    ...await filesUnder(new URL("islands/", REPO), /\.tsx?$/),
  ];
  assert.ok(roots.length > 10);
  const services = new URL("lib/services/", REPO).href;
  for (const root of roots) {
    const loaded = await moduleGraph(root);
    assert.ok(loaded.length > 0, root.pathname);
    const offending = loaded.filter((specifier) => specifier.startsWith(services));
    assert.deepEqual(offending, [], `${root.pathname.slice(REPO.pathname.length)} loads them`);
  }
});

Deno.test("server/ imports only hono, preact and its own files", async () => {
  const server = new URL("server/", REPO).href;
  const loaded = await moduleGraph(new URL("server/mod.ts", REPO));
  for (const specifier of loaded) {
    assert.ok(
      specifier.startsWith(server) ||
        /^npm:\/?(hono|preact|preact-render-to-string)@/.test(specifier),
      specifier,
    );
  }
});
