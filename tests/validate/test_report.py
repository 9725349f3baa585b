"""Output formats and the documentation that describes them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import abcparse
from abcparse.cli.report import FileReport, pack, render, to_json, to_sarif, unpack
from abcparse.validate.registry import code_table, registry

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "validator.md"
TEXT = "X:1\nT:t\nK:C\n(ab ? c|\n"


def report() -> list[FileReport]:
    return [FileReport("dir/t,1.abc", abcparse.check(TEXT), {4: "(ab ? c|"}, 1)]


def test_json_schema_is_the_documented_one() -> None:
    data = to_json(report())
    assert [d["code"] for d in data] == ["ABC310", "ABC331"]
    documented = re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", DOC.read_text(), re.M)
    keys = {k for pair in documented for k in pair if k}
    for d in data:
        assert set(d) == keys
    assert data[0] == {
        "path": "dir/t,1.abc", "code": "ABC310", "severity": "warning",
        "message": "slur ( is never closed with ) (§4.11)", "line": 4, "col": 1,
        "end_line": 4, "end_col": 2, "rule": "slur-not-closed", "fixable": "safe",
        "fix": None,
    }


def test_json_fix_object() -> None:
    diags = abcparse.check("X:1\nT:t\nK:C\nA1 B|\n", select="ABC402")
    (d,) = to_json([FileReport("t.abc", diags)])
    assert d["fix"] == {"start": 13, "end": 14, "replacement": "",
                        "description": "shortest note length"}


def test_sarif_shape() -> None:
    log = to_sarif(report())
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(registry())
    assert all(r["shortDescription"]["text"] and r["fullDescription"]["text"] for r in rules)
    first = run["results"][0]
    assert first["ruleId"] == "ABC310" and first["level"] == "warning"
    assert rules[first["ruleIndex"]]["id"] == "ABC310"
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "dir/t,1.abc"
    assert loc["region"] == {"startLine": 4, "startColumn": 1, "endLine": 4, "endColumn": 2}
    json.dumps(log)  # serialisable


def test_github_escapes_properties_and_message() -> None:
    out = render("github", report()).splitlines()
    assert out[0] == ("::warning file=dir/t%2C1.abc,line=4,col=1,endLine=4,endColumn=2,"
                      "title=ABC310::ABC310 slur ( is never closed with ) (§4.11)")
    assert out[1].startswith("::warning file=dir/t%2C1.abc,line=4,col=5,")


def test_full_format_caret_under_the_span() -> None:
    out = render("full", report())
    assert " 4 | (ab ? c|\n   |     ^\n" in out


def test_pack_round_trip() -> None:
    diags = abcparse.check("X:1\nT:t\nK:C\nA1 (B|\n", select="ABC3,ABC402")
    assert [unpack(pack(d)) for d in diags] == diags


@pytest.mark.parametrize("doc", [DOC, ROOT / "README.md"], ids=["docs", "README"])
def test_docs_code_table_is_current(doc: Path) -> None:
    """docs/validator.md and the README hold the table of every code (one line each), as
    generated from the registry."""
    text = doc.read_text(encoding="utf-8")
    start = text.index("-->\n", text.index("<!-- code-table")) + 4
    end = text.index("<!-- end code-table -->")
    assert text[start:end].strip("\n") + "\n" == code_table(), (
        "regenerate with: python -c 'from abcparse.validate.registry import"
        f" update_code_table as u; u(\"{doc.relative_to(ROOT)}\")'"
    )


def test_pre_commit_hook() -> None:
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: abc-lint" in hooks
    assert re.search(r"^  entry: abc-lint$", hooks, re.M)
    assert re.search(r"^  files: \\\.abc\$$", hooks, re.M)
