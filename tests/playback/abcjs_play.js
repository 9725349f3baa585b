#!/usr/bin/env node
// abcjs_play.js: play (or only parse) many ABC tunes with abcjs in ONE Node process.
//
// abcjs 6.7.2 (package.json at the repository root; `npm ci` installs it) is the second
// outside player of the differential playback tests (tests/playback/abcjs_peer.py), beside
// abc2midi. Starting Node costs about 50 ms, so a whole corpus goes through one process:
//
//   node tests/playback/abcjs_play.js [--parse-only] [--keep-graces] [--keep-ornaments]
//                                     [--keep-tempo] [FILE]
//
// Input (FILE, or standard input when FILE is absent or "-"): one JSON object per line,
// {"id": "...", "abc": "X:1\n..."}; a file whose first character is "[" may instead hold
// one JSON array of such objects. Output (standard output): one JSON line per input, in
// input order, written synchronously (so a caller that kills a hung process keeps every
// line before the hang):
//
//   play:        {"id", "tunes", "warnings", "tracks": [{"instrument", "notes": [[start, pitch, duration, style, cents], ...]}]}
//   --parse-only {"id", "tunes", "warnings"}
//   on error:    {"id", "error": "message", ...whatever was known}
//   "log" (only when not empty): what abcjs printed to the console for this tune
//
// start and duration are in whole notes, as abcjs computes them (rounded to 1e-6); style is
// "" for a written note, "grace" or "decoration" for notes abcjs adds. "warnings" are the
// parser's complaints (HTML removed), of every tune the text holds; "tunes" is their number.
// Only the first tune of a text is played. Notes of abcjs's drum track (instrument 128) are
// kept with that instrument; the caller decides.
//
// By default two things are taken out of the parsed tune before it is played, because
// abcparse's events (the other side of the comparison) leave them out too and ABC 2.1 gives
// them no playback meaning: grace notes (abcjs would play them in the first half of the main
// note, delaying it; abc2midi's -NGRA is the same switch) and the ornaments abcjs plays as
// runs of short notes (trill, mordents, turn, roll; ~ and T). --keep-graces and
// --keep-ornaments leave them in. Tempo changes in the body (Q: after K:, [Q:...]) are
// taken out too (--keep-tempo keeps them): abcjs measures time in whole notes at the
// tune's first tempo, so after a change from Q:1/4=180 to Q:1/4=135 every note would be
// 4/3 as long in its units; without them its times are the written whole notes.
"use strict";

const fs = require("fs");
const path = require("path");

// abcjs is installed in the repository's node_modules; this file may be run from anywhere.
let abcjs;
try {
  abcjs = require(require.resolve("abcjs", { paths: [path.resolve(__dirname, "..", ".."), process.cwd()] }));
} catch (e) {
  process.stderr.write("abcjs is not installed: run `npm ci` in the repository root\n");
  process.exit(3);
}

// abcjs prints some complaints with console.log ("MIDI seq: midi cmd not handled"), which
// would break the JSON lines on standard output: they are collected per tune instead and
// returned as "log".
const util = require("util");
let consoleLog = [];
for (const name of ["log", "info", "warn", "error", "debug"]) {
  console[name] = (...args) => {
    consoleLog.push(util.format(...args).slice(0, 500));
  };
}

const ORNAMENTS = new Set([
  "trill", "trillh", "lowermordent", "uppermordent", "mordent", "pralltriller", "turn", "roll",
]);

function plain(warning) {
  // abcjs writes its warnings as HTML (the bad character underlined); keep the text.
  return String(warning)
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function strip(tune, opts) {
  // Take grace notes, ornaments and tempo changes out of the parsed tune (see the header
  // comment).
  for (const line of tune.lines || []) {
    for (const staff of line.staff || []) {
      const voices = staff.voices || [];
      for (let v = 0; v < voices.length; v++) {
        if (!opts.keepTempo) voices[v] = voices[v].filter((el) => el.el_type !== "tempo");
        for (const el of voices[v]) {
          if (!opts.keepGraces && el.gracenotes) delete el.gracenotes;
          if (!opts.keepOrnaments && Array.isArray(el.decoration)) {
            el.decoration = el.decoration.filter((d) => !ORNAMENTS.has(d));
          }
        }
      }
    }
  }
}

function one(item, opts) {
  consoleLog = [];
  const out = { id: item.id === undefined ? null : item.id };
  try {
    return play(item, opts, out);
  } finally {
    if (consoleLog.length) out.log = consoleLog;
  }
}

function play(item, opts, out) {
  let tunes;
  try {
    tunes = abcjs.parseOnly(String(item.abc === undefined ? "" : item.abc));
  } catch (e) {
    out.error = "parse: " + (e && e.stack ? e.stack.split("\n").slice(0, 2).join(" ") : String(e));
    return out;
  }
  out.tunes = tunes.length;
  out.warnings = [];
  for (const t of tunes) for (const w of t.warnings || []) out.warnings.push(plain(w));
  if (opts.parseOnly) return out;
  if (tunes.length === 0) {
    out.tracks = [];
    return out;
  }
  try {
    const tune = tunes[0];
    strip(tune, opts);
    const audio = tune.setUpAudio({ chordsOff: true });
    out.tracks = audio.tracks.map((track) => {
      let instrument = 0;
      const notes = [];
      for (const ev of track) {
        if (ev.cmd === "program") instrument = ev.instrument;
        // cents: abcjs's bend of a microtone (^/c, _/e), which it plays off the semitone.
        else if (ev.cmd === "note") notes.push([ev.start, ev.pitch, ev.duration, ev.style || "", ev.cents || 0]);
      }
      return { instrument, notes };
    });
  } catch (e) {
    out.error = "play: " + (e && e.stack ? e.stack.split("\n").slice(0, 2).join(" ") : String(e));
  }
  return out;
}

function readItems(text) {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) return JSON.parse(trimmed);
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

function main(argv) {
  const opts = { parseOnly: false, keepGraces: false, keepOrnaments: false, keepTempo: false };
  let file = "-";
  for (const a of argv) {
    if (a === "--parse-only") opts.parseOnly = true;
    else if (a === "--keep-graces") opts.keepGraces = true;
    else if (a === "--keep-ornaments") opts.keepOrnaments = true;
    else if (a === "--keep-tempo") opts.keepTempo = true;
    else if (a === "-h" || a === "--help") {
      process.stdout.write("usage: abcjs_play.js [--parse-only] [--keep-graces] [--keep-ornaments] [--keep-tempo] [FILE|-]\n");
      return 0;
    } else file = a;
  }
  const text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  let items;
  try {
    items = readItems(text);
  } catch (e) {
    process.stderr.write("input is not JSON lines or a JSON array: " + e.message + "\n");
    return 2;
  }
  for (const item of items) {
    // Synchronous writes: Node's asynchronous pipe writes would be lost if abcjs hangs
    // on a later tune and the caller kills the process.
    fs.writeSync(1, JSON.stringify(one(item, opts)) + "\n");
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
