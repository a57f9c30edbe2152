/**
 * The migrations runner: numbered SQL files in `migrations/`, each applied once, in
 * order, in its own transaction, recorded in `schema_migrations`. An advisory lock
 * serializes concurrent starters, so two processes starting at once apply each file
 * exactly once.
 *
 * @module
 */
import type { Sql } from "./client.ts";

/** One migration file. */
export interface Migration {
  /** The number that orders it (the file name's leading digits). */
  version: number;
  /** The file name, recorded for humans. */
  name: string;
  /** The SQL to run. */
  sql: string;
}

/** The default folder of migrations, beside this repository's root. */
export const MIGRATIONS_DIR = new URL("../../migrations/", import.meta.url);

// Any constant works; it only has to be the same for every process of the project.
const MIGRATION_LOCK_ID = 7_301_947_112;

/** Reads `NNN_name.sql` files from `dir`, sorted by number; rejects duplicate numbers. */
export async function readMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    const match = /^(\d+)_[\w-]+\.sql$/.exec(entry.name);
    if (!match) {
      throw new Error(`Cannot read migration "${entry.name}": name it NNN_description.sql`);
    }
    const sql = await Deno.readTextFile(new URL(entry.name, dir));
    migrations.push({ version: Number(match[1]), name: entry.name, sql });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new Error(
        `Cannot order migrations: "${migrations[i - 1].name}" and "${
          migrations[i].name
        }" share a number`,
      );
    }
  }
  return migrations;
}

/**
 * Applies the pending migrations; returns the names applied by this call (empty when
 * the database was up to date or another process applied them first).
 */
export async function migrate(sql: Sql, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? await readMigrations();
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    // Transaction-scoped: released by commit or rollback, even if this process dies.
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`;
    await tx`
      create table if not exists schema_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
    const done = new Set(
      (await tx`select version from schema_migrations`).map((row) => row.version as number),
    );
    for (const migration of all) {
      if (done.has(migration.version)) continue;
      await tx.savepoint(async (step) => {
        await step.unsafe(migration.sql);
        await step`
          insert into schema_migrations (version, name)
          values (${migration.version}, ${migration.name})`;
      }).catch((error: Error) => {
        throw new Error(`Cannot apply migration "${migration.name}": ${error.message}`, {
          cause: error,
        });
      });
      applied.push(migration.name);
    }
  });
  return applied;
}
