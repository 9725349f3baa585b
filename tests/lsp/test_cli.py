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
