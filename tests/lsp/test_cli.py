"""``abcparse lsp`` as a command: registered without importing pygls, and a clear
message when the [lsp] extra is missing."""

from __future__ import annotations

import json
import subprocess
import sys


def test_import_abcparse_does_not_import_pygls() -> None:
    code = ("import sys, abcparse, abcparse.cli.main as m; m.build_parser();"
            " print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in"
            " ('pygls', 'lsprotocol'))))")
    out = subprocess.run([sys.executable, "-c", "import json;" + code], check=True,
                         capture_output=True, text=True, timeout=120)
    assert json.loads(out.stdout) == []


def test_missing_extra_is_one_line_and_exit_2() -> None:
    code = ("import sys; sys.modules['pygls'] = None; sys.modules['lsprotocol'] = None;"
            " from abcparse.cli.main import main; sys.exit(main(['lsp']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert "pip install 'abcparse[lsp]'" in out.stderr and "Traceback" not in out.stderr


def _frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _talk(*frames: bytes) -> tuple[int, list[dict[str, object]], str]:
    """Run ``abcparse lsp`` on ``frames`` (standard input then closed): its exit code,
    the messages it wrote and its standard error."""
    init = _frame({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                   "params": {"capabilities": {}}})
    out = subprocess.run([sys.executable, "-m", "abcparse", "lsp"],
                         input=init + b"".join(frames), capture_output=True, timeout=120,
                         check=False)
    messages = []
    rest = out.stdout
    while rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        size = int(head.split(b"\r\n")[0].split(b":")[1])
        messages.append(json.loads(rest[:size]))
        rest = rest[size:]
    return out.returncode, messages, out.stderr.decode()


def test_protocol_exit_codes_and_requests_after_shutdown() -> None:
    """The protocol's rules: a request after ``shutdown`` is answered "invalid request"
    (it was left unanswered, the editor waiting for ever); ``exit`` after ``shutdown`` is
    exit code 0, without it 1 (it was 0); an unknown rule given to the explain command is
    "invalid params", not an internal error with a Python traceback."""
    explain = _frame({"jsonrpc": "2.0", "id": 1, "method": "workspace/executeCommand",
                      "params": {"command": "abc-lint.explain", "arguments": ["NOPE"]}})
    shutdown = _frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
    late = _frame({"jsonrpc": "2.0", "id": 3, "method": "workspace/executeCommand",
                   "params": {"command": "abc-lint.explain", "arguments": ["ABC301"]}})
    leave = _frame({"jsonrpc": "2.0", "method": "exit"})
    code, messages, err = _talk(explain, shutdown, late, leave)
    answers = {m["id"]: m for m in messages if "id" in m}
    assert answers[1]["error"]["code"] == -32602 and "no rule 'NOPE'" in str(answers[1])
    assert answers[2]["result"] is None
    assert answers[3]["error"]["code"] == -32600
    assert code == 0 and "Traceback" not in err
    code, _, _ = _talk(leave)
    assert code == 1


def test_a_huge_content_length_does_not_end_the_server_with_a_memory_error() -> None:
    """``Content-Length: 1000000000000``: pygls asked for that many bytes at once and
    the server died of a memory error. The body is read in pieces and thrown away."""
    code, _, err = _talk(b"Content-Length: 1000000000000\r\n\r\n{}")
    assert code == 1  # the client went away without shutdown
    assert "past the" in err and "MemoryError" not in err and "internal error" not in err
