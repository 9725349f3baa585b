"""``abcparse lsp`` end to end: a real LSP client (pytest-lsp) drives the server over
stdio, feature by feature, as an editor would.

One server process serves the whole module (starting one costs the grammar build);
each test opens documents of its own, under URIs of its own.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

import abcparse  # noqa: E402
from abcparse.validate import find_rule  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.asyncio(loop_scope="module")

SERVER = [sys.executable, "-m", "abcparse", "lsp", "--debounce", "0.05"]

# A tune whose second bar is one eighth short (ABC301 at the bar line that ends it).
BROKEN = """X:1
T:Short bar
M:4/4
L:1/8
K:G
GABc dBAG|GABc dBA|GABc d2B2|]
"""

# An unclosed slur (ABC310): its fixer deletes the ( and says so; the fix is safe.
SLUR = """X:1
T:Slur
M:6/8
L:1/8
K:D
FAA dAA|(dAF dAF|dAF d3|]
"""

BOOK = """%abc-2.1
I:linebreak $

X:1
T:The First
M:6/8
L:1/8
K:D
P:A
|:FAA dAA:|
P:B
|:dfe dBA:|

X:2
T:The Second
M:4/4
L:1/8
K:Ador
V:1 clef=treble
V:2 clef=bass
[V:1] A2 !trill!B2 c4|
[V:2] A,8|
"""


def uri_of(name: str) -> str:
    return (ROOT / "tests" / "lsp" / "_docs" / name).as_uri()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    params = lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(
            text_document=lsp.TextDocumentClientCapabilities(
                code_action=lsp.CodeActionClientCapabilities(
                    resolve_support=lsp.ClientCodeActionResolveOptions(properties=["edit"])),
            ),
        ),
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def open_doc(client: LanguageClient, name: str, text: str,
                   version: int = 1) -> tuple[str, list[lsp.Diagnostic]]:
    """Open a document and wait for its diagnostics."""
    uri = uri_of(name)
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=uri, language_id="abc", version=version, text=text)))
    return uri, await diagnostics_of(client, uri)


async def diagnostics_of(client: LanguageClient, uri: str, timeout: float = 30
                         ) -> list[lsp.Diagnostic]:
    async def wait() -> list[lsp.Diagnostic]:
        while uri not in client.diagnostics:
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return list(client.diagnostics[uri])

    return await asyncio.wait_for(wait(), timeout)


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions; the test texts are ASCII) to ``text``."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def off(p: lsp.Position) -> int:
        if p.line >= len(lines):
            return len(text)
        return min(starts[p.line] + p.character, starts[p.line] + len(lines[p.line]))

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                    reverse=True):
        text = text[: off(e.range.start)] + e.new_text + text[off(e.range.end):]
    return text


# ---------------------------------------------------------------------------------------
# Diagnostics


async def test_broken_tune_gives_abc301_at_its_line_and_column(client: LanguageClient) -> None:
    _uri, diags = await open_doc(client, "broken.abc", BROKEN)
    found = [d for d in diags if d.code == "ABC301"]
    assert len(found) == 1
    d = found[0]
    expected = next(x for x in abcparse.check(BROKEN) if x.code == "ABC301")
    # The position abc-lint gives (1-based), in LSP terms (0-based): line 6, the bar.
    assert (d.range.start.line, d.range.start.character) == (expected.line - 1,
                                                              expected.col - 1)
    assert d.range.start.line == 5
    assert d.source == "abc-lint"
    # Undeclared file: read loosely (§12.2), where a bar length is a warning.
    assert d.severity == lsp.DiagnosticSeverity.Warning
    assert d.code_description is not None
    href = d.code_description.href
    assert href.startswith("file:") and href.endswith("ABC301.md")
    page = Path(href[len("file://"):]).read_text(encoding="utf-8")
    assert "bar-duration" in page


async def test_strict_file_reports_errors(client: LanguageClient) -> None:
    _uri, diags = await open_doc(client, "strict.abc", "%abc-2.1\n" + BROKEN)
    found = [d for d in diags if d.code == "ABC301"]
    assert found and found[0].severity == lsp.DiagnosticSeverity.Error
    assert found[0].range.start.line == 6


async def test_diagnostics_follow_edits(client: LanguageClient) -> None:
    uri, diags = await open_doc(client, "edit.abc", BROKEN)
    assert [d.code for d in diags] == ["ABC301"]
    # Complete the short bar: "dBA|" -> "dBAG|" (line 5, after "GABc dBAG|GABc dBA").
    line = BROKEN.splitlines()[5]
    col = line.index("dBA|") + 3
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(5, col), lsp.Position(5, col)), text="G")]))
    assert await diagnostics_of(client, uri) == []
    # And break it again, in another place: a note out of the middle bar (the first
    # bar may be a pickup, §4.3 ABC301's explanation).
    at = line.index("|GABc") + 1
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(5, at), lsp.Position(5, at + 1)), text="")]))
    diags = await diagnostics_of(client, uri)
    assert [d.code for d in diags] == ["ABC301"]
    assert diags[0].range.start.line == 5


async def test_positions_count_utf16_units(client: LanguageClient) -> None:
    """LSP columns count UTF-16 code units by default: a character outside the BMP
    before a finding counts two."""
    text = BROKEN.replace("GABc dBAG|GABc dBA|", '"\U0001f3b5"GABc dBAG|GABc dBA|', 1)
    _, diags = await open_doc(client, "astral.abc", text)
    expected = next(x for x in abcparse.check(text) if x.code == "ABC301")
    d = next(x for x in diags if x.code == "ABC301")
    assert (d.range.start.line, d.range.start.character) == (5, expected.col - 1 + 1)


async def test_whole_document_change(client: LanguageClient) -> None:
    uri, diags = await open_doc(client, "whole.abc", BROKEN)
    assert diags
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=SLUR)]))
    assert [d.code for d in await diagnostics_of(client, uri)] == ["ABC310"]


async def test_suppression_comment(client: LanguageClient) -> None:
    text = BROKEN.replace("K:G\n", "K:G\n% abc-lint: disable=ABC301\n")
    _, diags = await open_doc(client, "suppressed.abc", text)
    assert diags == []


async def test_pyproject_settings_apply(client: LanguageClient, tmp_path: Path) -> None:
    """[tool.abc-lint] of the pyproject.toml nearest to the file, as abc-lint reads it."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.abc-lint]\nmode = "strict"\nextend-select = ["ABC402"]\n', encoding="utf-8")
    text = BROKEN.replace("GABc dBAG|", "GABc1 dBAG|", 1)
    uri = (tmp_path / "tunes.abc").as_uri()
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=uri, language_id="abc", version=1, text=text)))
    diags = await diagnostics_of(client, uri)
    codes = {d.code: d for d in diags}
    assert "ABC402" in codes  # a style rule, selected by the file
    assert codes["ABC301"].severity == lsp.DiagnosticSeverity.Error  # mode = "strict"
    assert [(d.code, d.message) for d in diags] == [
        (d.code, d.message) for d in abcparse.check(text, mode="strict",
                                                    extend_select="ABC402")]


# ---------------------------------------------------------------------------------------
# Code actions


async def test_code_action_applies_a_safe_fix(client: LanguageClient) -> None:
    uri, diags = await open_doc(client, "slur.abc", SLUR)
    slur = [d for d in diags if d.code == "ABC310"]
    assert slur, diags
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=slur[0].range,
        context=lsp.CodeActionContext(diagnostics=slur)))
    assert actions
    fixes = [a for a in actions
             if isinstance(a, lsp.CodeAction) and a.title.startswith("Fix ABC310")]
    assert len(fixes) == 1
    fix = fixes[0]
    assert "(safe fix" in fix.title and fix.is_preferred
    assert fix.kind == lsp.CodeActionKind.QuickFix
    assert fix.edit is not None and fix.edit.changes is not None
    fixed = apply(SLUR, list(fix.edit.changes[uri]))
    assert fixed == SLUR.replace("(dAF", "dAF")
    assert "ABC310" not in [d.code for d in abcparse.check(fixed)]
    # Each finding can be silenced on its line, and the whole tune fixed.
    titles = [a.title for a in actions if isinstance(a, lsp.CodeAction)]
    assert "Disable ABC310 on this line" in titles
    assert any(t.startswith("Fix all safe problems in this tune") for t in titles)


async def test_unsafe_fix_is_marked_and_not_preferred(client: LanguageClient) -> None:
    uri, diags = await open_doc(client, "unsafe.abc", BROKEN)
    bar = [d for d in diags if d.code == "ABC301"]
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=bar[0].range,
        context=lsp.CodeActionContext(diagnostics=bar)))
    fixes = [a for a in actions or [] if isinstance(a, lsp.CodeAction)
             and a.title.startswith("Fix ABC301")]
    assert fixes
    assert all("unsafe fix" in a.title and not a.is_preferred for a in fixes)


async def test_disable_action_silences_the_line(client: LanguageClient) -> None:
    uri, diags = await open_doc(client, "disable.abc", BROKEN)
    bar = [d for d in diags if d.code == "ABC301"]
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=bar[0].range,
        context=lsp.CodeActionContext(diagnostics=bar)))
    disable = [a for a in actions or [] if isinstance(a, lsp.CodeAction)
               and a.title == "Disable ABC301 on this line"]
    assert disable and disable[0].edit is not None and disable[0].edit.changes
    text = apply(BROKEN, list(disable[0].edit.changes[uri]))
    assert "% abc-lint: disable=ABC301" in text.splitlines()[5]
    assert abcparse.check(text) == []


async def test_fix_all_in_file_resolves_lazily(client: LanguageClient) -> None:
    text = SLUR + "\n" + SLUR.replace("X:1", "X:2")
    uri, diags = await open_doc(client, "fixall.abc", text)
    assert [d.code for d in diags] == ["ABC310", "ABC310"]
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
        context=lsp.CodeActionContext(diagnostics=[], only=[lsp.CodeActionKind.SourceFixAll])))
    whole = [a for a in actions or [] if isinstance(a, lsp.CodeAction)
             and "in this file" in a.title]
    assert whole and whole[0].edit is None  # the client resolves it when chosen
    resolved = await client.code_action_resolve_async(whole[0])
    assert resolved.edit is not None and resolved.edit.changes
    fixed = apply(text, list(resolved.edit.changes[uri]))
    assert fixed == text.replace("(dAF", "dAF")


# ---------------------------------------------------------------------------------------
# Formatting


def _cli_format(text: str, tmp_path: Path) -> str:
    path = tmp_path / "tune.abc"
    path.write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "abcparse", "format", str(path)], check=True,
                   capture_output=True, timeout=120, cwd=tmp_path)
    return path.read_text(encoding="utf-8")


UNFORMATTED = """X:1
M: 6/8
T:Demo
K:G Major
A/2B1c// d2e|]

X:2
T:Two
K:D
ABc   |]
"""


async def test_formatting_agrees_with_abcparse_format(client: LanguageClient,
                                                      tmp_path: Path) -> None:
    uri, _ = await open_doc(client, "format.abc", UNFORMATTED)
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        options=lsp.FormattingOptions(tab_size=4, insert_spaces=True)))
    assert edits
    assert apply(UNFORMATTED, edits) == _cli_format(UNFORMATTED, tmp_path)


async def test_range_formatting_touches_only_its_tunes(client: LanguageClient,
                                                       tmp_path: Path) -> None:
    uri, _ = await open_doc(client, "range.abc", UNFORMATTED)
    # A range inside the second tune: only it is formatted.
    edits = await client.text_document_range_formatting_async(
        lsp.DocumentRangeFormattingParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(lsp.Position(9, 0), lsp.Position(9, 3)),
            options=lsp.FormattingOptions(tab_size=4, insert_spaces=True)))
    assert edits
    out = apply(UNFORMATTED, edits)
    whole = _cli_format(UNFORMATTED, tmp_path)
    first, _second = UNFORMATTED.split("\n\n")
    assert out.split("\n\n")[0] == first  # untouched
    assert out.split("\n\n")[1] == whole.split("\n\n")[1]


# ---------------------------------------------------------------------------------------
# Hover, outline, folding, completion, definition


async def hover_at(client: LanguageClient, uri: str, line: int, char: int) -> str | None:
    h = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=lsp.Position(line, char)))
    if h is None:
        return None
    assert isinstance(h.contents, lsp.MarkupContent)
    return h.contents.value


async def test_hover_explains_trill(client: LanguageClient) -> None:
    uri, _ = await open_doc(client, "hover.abc", BOOK)
    lines = BOOK.splitlines()
    n = next(i for i, ln in enumerate(lines) if "!trill!" in ln)
    text = await hover_at(client, uri, n, lines[n].index("!trill!") + 2)
    assert text is not None
    assert "!trill!" in text and "§4.14" in text and "trill" in text.lower()
    assert "alternate rapidly" in text


async def test_hover_on_note_gives_pitch_and_length(client: LanguageClient) -> None:
    uri, _ = await open_doc(client, "note.abc", BOOK)
    lines = BOOK.splitlines()
    n = lines.index("[V:1] A2 !trill!B2 c4|")
    text = await hover_at(client, uri, n, lines[n].index("c4"))
    assert text is not None
    # c in A dorian: C natural, an octave above middle C: C5, MIDI 72; c4 at L:1/8 is a
    # half note.
    assert "C5 (MIDI 72)" in text and "1/2 of a whole note" in text
    # F in D major is F sharp (K:D, §3.1.14).
    m = lines.index("|:FAA dAA:|")
    text = await hover_at(client, uri, m, 2)
    assert text is not None and "F#4 (MIDI 66)" in text and "1/8 of a whole note" in text


async def test_hover_on_fields_and_shorthand(client: LanguageClient) -> None:
    uri, _ = await open_doc(client, "fields.abc", BOOK)
    lines = BOOK.splitlines()
    k = lines.index("K:Ador")
    text = await hover_at(client, uri, k, 3)
    assert text is not None and "§3.1.14" in text and "Dorian" in text
    m = lines.index("M:6/8")
    text = await hover_at(client, uri, m, 3)
    assert text is not None and "§3.1.6" in text and "3/4 of a whole note" in text
    tune = "X:3\nT:Roll\nK:D\n~A2 TB|]\n"
    uri2, _ = await open_doc(client, "roll.abc", tune)
    text = await hover_at(client, uri2, 3, 0)
    assert text is not None and "!roll!" in text and "§4.14" in text


async def test_hover_on_a_diagnostic_explains_the_rule(client: LanguageClient) -> None:
    uri, diags = await open_doc(client, "hoverdiag.abc", BROKEN)
    d = next(x for x in diags if x.code == "ABC301")
    text = await hover_at(client, uri, d.range.start.line, d.range.start.character)
    assert text is not None
    rule = find_rule("ABC301")
    assert rule is not None and rule.summary in text


async def test_document_symbols_list_the_tunes(client: LanguageClient) -> None:
    uri, _ = await open_doc(client, "symbols.abc", BOOK)
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert symbols
    tunes = [s for s in symbols if isinstance(s, lsp.DocumentSymbol)
             and s.kind == lsp.SymbolKind.Module]
    assert [t.name for t in tunes] == ["X:1 The First", "X:2 The Second"]
    assert [c.name for c in tunes[0].children or []] == ["P:A", "P:B"]
    assert [c.name for c in tunes[1].children or []] == ["V:1", "V:2"]
    assert tunes[0].range.start.line == 3 and tunes[1].range.start.line == 13


async def test_folding_ranges_per_tune(client: LanguageClient) -> None:
    uri, _ = await open_doc(client, "fold.abc", BOOK)
    ranges = await client.text_document_folding_range_async(lsp.FoldingRangeParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert ranges is not None
    assert [(r.start_line, r.end_line) for r in ranges] == [(3, 11), (13, 21)]


async def complete(client: LanguageClient, uri: str, line: int, char: int) -> list[str]:
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line, char)))
    items = result.items if isinstance(result, lsp.CompletionList) else (result or [])
    return [i.label for i in items]


async def test_completion(client: LanguageClient) -> None:
    text = "X:1\nT:t\nU:W=!mydeco!\nK:D\nA!tr\nK:A \nK:A m\n\n"
    uri, _ = await open_doc(client, "complete.abc", text)
    labels = await complete(client, uri, 4, 4)
    assert "!trill!" in labels and "!fermata!" in labels and "!mydeco!" in labels
    labels = await complete(client, uri, 5, 4)  # after the tonic: the modes
    assert {"major", "minor", "dorian", "mixolydian"} <= set(labels)
    labels = await complete(client, uri, 7, 0)  # a new line: field letters
    assert {"X:", "T:", "K:", "M:", "L:"} <= set(labels)


async def test_definition_of_a_user_symbol(client: LanguageClient) -> None:
    text = "X:1\nT:t\nU:W=!trill!\nK:D\nWA2 B|]\n"
    uri, _ = await open_doc(client, "define.abc", text)
    result = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(4, 0)))
    assert isinstance(result, list) and len(result) == 1
    loc = result[0]
    assert isinstance(loc, lsp.Location) and loc.uri == uri
    assert loc.range.start.line == 2


# ---------------------------------------------------------------------------------------
# Robustness


async def raw_request(client: LanguageClient, msg_id: str, method: str, params: object
                      ) -> object:
    """Send a request as raw JSON (the typed client cannot send a malformed one) and
    wait for the server's answer: its result, or the error it answered with."""
    import concurrent.futures

    protocol = client.protocol
    future: concurrent.futures.Future[object] = concurrent.futures.Future()
    protocol._request_futures[msg_id] = future
    protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wait_for(asyncio.wrap_future(future), 20)


async def test_bad_requests_then_a_good_one(client: LanguageClient) -> None:
    """Malformed requests get an error or an empty answer, and the server goes on."""
    from pygls.exceptions import JsonRpcException

    good_uri, _ = await open_doc(client, "robust.abc", BOOK)
    # Parameters of the wrong shape, and none at all: an LSP error each.
    with pytest.raises(JsonRpcException):
        await raw_request(client, "bad-1", lsp.TEXT_DOCUMENT_HOVER,
                          {"textDocument": 5, "position": "here"})
    with pytest.raises(JsonRpcException):
        await raw_request(client, "bad-2", lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL, None)
    # An unknown method: "method not found".
    with pytest.raises(JsonRpcException):
        await raw_request(client, "bad-3", "abc/noSuchMethod", {})
    # Text that is not JSON at all.
    body = b"{this is not json"
    client.protocol.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    # A document nobody opened, a position far outside a document: no answer (null).
    assert await hover_at(client, uri_of("never-opened.abc"), 0, 0) is None
    assert await raw_request(client, "bad-4", lsp.TEXT_DOCUMENT_HOVER, {
        "textDocument": {"uri": good_uri},
        "position": {"line": 10_000, "character": 10_000}}) is None
    # Documents that are not ABC at all: Python source, and control characters, a NUL
    # and a lone surrogate's neighbours.
    _, diags = await open_doc(client, "not-abc.abc", Path(__file__).read_text())
    assert isinstance(diags, list)
    noise = "".join(chr(c) for c in range(1, 0x2FF)) * 3 + "\x00\U0001f3b5"
    _, diags = await open_doc(client, "noise.abc", noise)
    assert isinstance(diags, list)
    # An edit whose range runs backwards and past the end of the document.
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=good_uri, version=9),
        content_changes=[lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(500, 7), lsp.Position(400, 0)), text="X")]))
    # And the server still answers a good request.
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        text_document=lsp.TextDocumentIdentifier(uri=good_uri)))
    assert symbols and any(getattr(s, "name", "") == "X:1 The First" for s in symbols)


async def test_explain_command(client: LanguageClient) -> None:
    text = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="abc-lint.explain", arguments=["ABC301"]))
    assert isinstance(text, str) and "bar-duration" in text
