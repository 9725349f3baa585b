#!/usr/bin/env node
// abcjs_check.js: parse many ABC tunes with abcjs (parseOnly) in one Node process and say
// what abcjs warns about in each (used by `abcparse evaluate`, generator/music.py).
//
// Input (standard input): one JSON object per line, {"id": ..., "abc": "X:1\n..."}.
// Output (standard output): one JSON line per input, {"id": ..., "warnings": [...]}, or
// {"id": ..., "error": "..."} when abcjs throws. abcjs is found from the current folder,
// $ABCJS_DIR, or the folders above this file (`npm install abcjs`); exit 3 without it.
"use strict";

const path = require("path");
const readline = require("readline");

const places = [process.cwd(), process.env.ABCJS_DIR || "", path.resolve(__dirname, ".."),
  path.resolve(__dirname, "..", "..")].filter(Boolean);
let abcjs;
try {
  abcjs = require(require.resolve("abcjs", { paths: places }));
} catch (e) {
  process.stderr.write("abcjs is not installed (npm install abcjs)\n");
  process.exit(3);
}
// abcjs logs some complaints on the console: keep standard output for the JSON lines.
for (const name of ["log", "info", "warn", "error", "debug"]) console[name] = () => {};

function plain(w) {
  return String(w).replace(/<[^>]*>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let item;
  try {
    item = JSON.parse(line);
  } catch (e) {
    return;
  }
  let out;
  try {
    const tunes = abcjs.parseOnly(item.abc);
    const warnings = [];
    for (const t of tunes) for (const w of t.warnings || []) warnings.push(plain(w));
    out = { id: item.id, warnings };
  } catch (e) {
    out = { id: item.id, error: String(e && e.message ? e.message : e).slice(0, 300) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});
