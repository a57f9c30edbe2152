import assert from "node:assert/strict";
import { type CsvItem, LineCursor, openCsv } from "./csv_source.ts";

/** Every line or record of a file as [line number, fields], read in `chunkBytes` reads. */
async function readAll(text: string, chunkBytes: number): Promise<[number, string[] | string][]> {
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  try {
    await Deno.writeTextFile(path, text);
    const source = await openCsv(path, { chunkBytes });
    const out: [number, string[] | string][] = [];
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    try {
      for await (const block of source.blocks()) {
        if (block.kind === "lines") {
          const cursor = new LineCursor(block);
          while (cursor.advance()) {
            const line = decoder.decode(block.bytes.subarray(cursor.start, cursor.end));
            out.push([cursor.line, line.split(",")]);
          }
        } else {
          for (const item of block.items as CsvItem[]) {
            out.push([item.line, item.kind === "row" ? item.fields : `malformed`]);
          }
        }
      }
      assert.equal(source.bytesRead(), source.size);
    } finally {
      source.close();
    }
    return out;
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("lines come whole, numbered, in any read size, with LF, CRLF and a last line without one", async () => {
  const long = "y".repeat(300);
  const text = `h1,h2\r\na,b\n\nc,${long}\r\nd,e\rf\ng,h`;
  const expected: [number, string[]][] = [
    [1, ["h1", "h2"]],
    [2, ["a", "b"]],
    [3, [""]],
    [4, ["c", long]],
    // A CR not followed by LF is content, as for csv-parse.
    [5, ["d", "e\rf"]],
    [6, ["g", "h"]],
  ];
  for (const chunkBytes of [7, 64, 1 << 20]) {
    assert.deepEqual(await readAll(text, chunkBytes), expected, `chunkBytes ${chunkBytes}`);
  }
});

Deno.test("from the first quote on, csv-parse reads the rest and the numbering goes on", async () => {
  const lines = Array.from({ length: 40 }, (_, i) => `r${i + 2},x`);
  const text = ["h1,h2", ...lines, `q,"two`, `lines"`, "after,1", `bad,"open`, "z,z"].join("\n");
  for (const chunkBytes of [16, 100, 1 << 20]) {
    const read = await readAll(text, chunkBytes);
    assert.deepEqual(read.slice(0, 41), [
      [1, ["h1", "h2"]],
      ...lines.map((l, i): [number, string[]] => [i + 2, l.split(",")]),
    ]);
    // Line 42 starts a quoted field spanning two lines; the next record is line 44.
    assert.deepEqual(read.slice(41), [
      [42, ["q", "two\nlines"]],
      [44, ["after", "1"]],
      [45, "malformed"],
    ], `chunkBytes ${chunkBytes}`);
  }
});

Deno.test("a quote in the header sends the whole file through csv-parse, BOM removed", async () => {
  const read = await readAll(`\uFEFF"order_id",b\n1,2\n`, 1 << 20);
  assert.deepEqual(read, [[1, ["order_id", "b"]], [2, ["1", "2"]]]);
});
