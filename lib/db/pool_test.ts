import assert from "node:assert/strict";
import postgres from "postgres";
import { sleep, withTimeout } from "../core/async.ts";
import { createTestDatabase } from "../../tests/support/services.ts";
import { connect } from "./client.ts";
import { isConnectionError } from "./pool.ts";
import { isPostgresError, SQLSTATE } from "./sqlstate.ts";

Deno.test({
  name: "isConnectionError tells lost connections from statement errors, on real Postgres errors",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("pool");
    // A statement error: a unique violation is about the statement, not the connection.
    await db.sql`create table t (id int primary key)`;
    await db.sql`insert into t values (1)`;
    const duplicate = await db.sql`insert into t values (1)`.catch((e) => e);
    assert.ok(isPostgresError(duplicate, SQLSTATE.uniqueViolation));
    assert.ok(!isConnectionError(duplicate));
    // A terminated backend is a lost connection (postgres.js reports 57P01 or, when it sees
    // the socket close first, CONNECTION_CLOSED).
    const victim = connect(db.url, { max: 1 });
    const [{ pid }] = await victim`select pg_backend_pid() as pid`;
    const running = victim`select pg_sleep(10)`.catch((e) => e);
    await db.sql`select pg_terminate_backend(${pid})`;
    const terminated = await running;
    await victim.end({ timeout: 1 });
    assert.ok(isConnectionError(terminated), String(terminated));
    // The SQLSTATE classes 08 and 57P on postgres.js's own error class (its constructor
    // takes the server's fields, though its typings say a message).
    const serverError = (code: string) =>
      new (postgres.PostgresError as unknown as new (fields: object) => Error)({
        code,
        message: code,
      });
    for (const code of ["08006", "57P01", "57P03"]) {
      assert.ok(isConnectionError(serverError(code)), code);
    }
    assert.ok(!isConnectionError(serverError("22007")));
    // postgres.js's own codes and socket errors, and a statement past its deadline.
    const closed = Object.assign(new Error("write CONNECTION_CLOSED"), {
      code: "CONNECTION_CLOSED",
    });
    assert.ok(isConnectionError(closed));
    assert.ok(isConnectionError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })));
    assert.ok(isConnectionError(await withTimeout(sleep(50), 1, "A step").catch((e) => e)));
    // Objects that only look like errors are not classified.
    assert.ok(!isConnectionError({ code: "57P01" }));
    assert.ok(!isConnectionError(null));
  },
});
