"""The client's initialization options: ``mode`` (as ``abc-lint --strict``), ``ignore``
and ``ruleUrl`` (where a finding's code links to)."""

from __future__ import annotations

import asyncio
import sys

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

from .test_server import BROKEN, SLUR, diagnostics_of, uri_of  # noqa: E402

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "abcparse", "lsp", "--debounce", "0"]),
    scope="module")
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(),
        initialization_options={"mode": "strict", "ignore": ["ABC310"],
                                "ruleUrl": "https://example.org/rules/{code}"}))
    yield
    await lsp_client.shutdown_session()


async def test_options_apply(client: LanguageClient) -> None:
    uri = uri_of("options.abc")
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
        uri=uri, language_id="abc", version=1, text=BROKEN + "\n" + SLUR.replace("X:1", "X:2"))))
    diags = await asyncio.wait_for(diagnostics_of(client, uri), 30)
    # Undeclared, but read strictly: the short bar is an error; ABC310 is ignored.
    assert [d.code for d in diags] == ["ABC301"]
    assert diags[0].severity == lsp.DiagnosticSeverity.Error
    assert diags[0].code_description is not None
    assert diags[0].code_description.href == "https://example.org/rules/ABC301"
