"""How long after a keystroke the language server publishes fresh diagnostics.

Issue 17's bar: after a one-character edit inside one tune of a 1.7 MB tunebook, fresh
diagnostics are published within 0.5 s (debounce included). This script builds such a
tunebook from the shipped corpus (its files repeated, the ``X:`` numbers made unique),
starts ``abcparse lsp`` as an editor would (a subprocess on stdio), opens the book, waits
for its first diagnostics (the whole book checked), then makes one-character edits
inside a tune in the middle of the book, alternately breaking and mending a bar, and
times each from the ``didChange`` to the ``publishDiagnostics`` of that version.

    python3 benchmarks/lsp_latency.py            # 1.7 MB, 20 edits, default debounce
    python3 benchmarks/lsp_latency.py --size 4 --edits 40 --debounce 0.05

It prints the numbers; it asserts nothing (benchmarks never fail a build).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def build_book(size: int) -> str:
    """At least ``size`` characters of real tunes, each with its own X: number."""
    parts = [(ROOT / "corpus" / f"{n}.abc").read_text(encoding="utf-8")
             for n in ("irish", "train", "valid", "test")]
    out: list[str] = []
    total = 0
    while total < size:
        for p in parts:
            out.append(p if p.endswith("\n") else p + "\n")
            out.append("\n")
            total += len(p) + 1
            if total >= size:
                break
    text = "".join(out)
    cut = text.find("\n\nX:", size)
    if cut > 0:
        text = text[: cut + 1]
    counter = iter(range(1, 1 << 30))
    return re.sub(r"(?m)^X:[ \t]*\d+", lambda m: f"X:{next(counter)}", text)


class Client:
    """A minimal LSP client: JSON-RPC over the server's pipes, a reader thread."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=None if os.environ.get("ABCPARSE_LSP_DEBUG")
                                     else subprocess.DEVNULL, cwd=ROOT)
        self.inbox: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = out.read(length)
            self.inbox.put((time.perf_counter(), json.loads(body)))

    def send(self, message: dict[str, Any]) -> float:
        data = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()
        return time.perf_counter()

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        msg_id = self.next_id
        self.send({"id": msg_id, "method": method, "params": params})
        while True:
            _, msg = self.inbox.get(timeout=600)
            if msg.get("id") == msg_id:
                return msg.get("result")

    def notify(self, method: str, params: Any) -> float:
        return self.send({"method": method, "params": params})

    def diagnostics(self, uri: str, version: int, timeout: float = 600
                    ) -> tuple[float, list[Any]]:
        """Wait for the diagnostics of ``version``: (arrival time, diagnostics)."""
        deadline = time.perf_counter() + timeout
        while True:
            at, msg = self.inbox.get(timeout=max(deadline - time.perf_counter(), 0.01))
            if msg.get("method") != "textDocument/publishDiagnostics":
                continue
            p = msg["params"]
            if p["uri"] == uri and p.get("version") == version:
                return at, p["diagnostics"]

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=float, default=1.7, help="tunebook size in MB (1.7)")
    ap.add_argument("--edits", type=int, default=20, help="edits to time (20)")
    ap.add_argument("--debounce", type=float, default=None,
                    help="the server's --debounce (default: its own, 0.1 s)")
    args = ap.parse_args(argv)

    text = build_book(int(args.size * 1_000_000))
    tunes = text.count("\nX:") + text.startswith("X:")
    server = [sys.executable, "-m", "abcparse", "lsp"]
    if args.debounce is not None:
        server += ["--debounce", str(args.debounce)]
    print(f"tunebook: {len(text.encode('utf-8')) / 1e6:.2f} MB, {tunes} tunes,"
          f" {text.count(chr(10))} lines; server: {' '.join(server[1:])}")
    client = Client(server)
    client.request("initialize", {"processId": os.getpid(), "rootUri": None,
                                  "capabilities": {}})
    client.notify("initialized", {})
    uri = (ROOT / "book-lsp-latency.abc").as_uri()
    sent = client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "abc", "version": 1, "text": text}})
    at, diags = client.diagnostics(uri, 1)
    print(f"open: first diagnostics after {at - sent:.2f} s ({len(diags)} findings,"
          " the whole book checked)")

    # A tune in the middle of the book: its first bar line, where one character
    # (a note) is added, then taken away again.
    middle = text.index("\nX:", len(text) // 2) + 1
    body = text.index("\nK:", middle)
    body = text.index("\n", body + 1) + 1
    bar = text.index("|", body + 1)
    line = text.count("\n", 0, bar)
    col = bar - (text.rfind("\n", 0, bar) + 1)
    times: list[float] = []
    version = 1
    for k in range(args.edits):
        version += 1
        if k % 2 == 0:
            change = {"range": {"start": {"line": line, "character": col},
                                "end": {"line": line, "character": col}}, "text": "A"}
        else:
            change = {"range": {"start": {"line": line, "character": col},
                                "end": {"line": line, "character": col + 1}}, "text": ""}
        sent = client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        at, diags = client.diagnostics(uri, version)
        times.append(at - sent)
        time.sleep(0.05)
    client.close()
    times.sort()
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    print(f"one-character edit -> fresh diagnostics ({len(times)} edits, line {line + 1}):"
          f" median {statistics.median(times):.3f} s, p90 {p90:.3f} s,"
          f" max {times[-1]:.3f} s, min {times[0]:.3f} s")
    print(f"issue 17's bar: 0.5 s; median {'within' if statistics.median(times) <= 0.5 else 'over'}"
          f" it, max {'within' if times[-1] <= 0.5 else 'over'} it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
