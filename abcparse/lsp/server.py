"""``abcparse lsp``: the Language Server Protocol server, on pygls 2 over stdio.

What it serves (docs/lsp.md): abc-lint's diagnostics, published on open and on change
after a short pause (debounced), re-checking only the tunes whose text changed
(:mod:`.lint`); code actions (each finding's fix, marked safe or unsafe; every safe fix
of a tune or of the file; a suppression comment for a line); formatting of the document
or of the tunes a range touches; hover; the outline; folding; completion; go to the
``U:`` definition of a symbol.

The server keeps its own copy of each open document (:mod:`.textdoc`) and checks in one
worker thread, so the connection keeps answering (hover, outline) while a big file is
checked; a check overtaken by a newer text stops between two tunes and keeps what it
learned. A request that fails answers with an LSP error and the server goes on: no
handler lets an exception end the process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from .. import __version__
from ..diagnostics import Diagnostic
from ..errors import AbcError
from ..format.fixers import FIXERS
from ..validate.check import select_rules
from ..validate.registry import find_rule
from . import features as ft
from .lint import Book, Linter, Stale
from .textdoc import UTF8, UTF16, UTF32, TextDocument

log = logging.getLogger("abcparse.lsp")
_T = TypeVar("_T")

DEBOUNCE = 0.1  # seconds of quiet after a change before the check starts
EAGER_FILE_FIX = 100_000  # characters: a bigger file's "fix all" needs codeAction/resolve
FREEZE_AFTER = 200  # tunes checked at once, after which the survivors are frozen (_check)
EXPLAIN_COMMAND = "abc-lint.explain"
FIX_ALL_COMMAND = "abc-lint.fixAll"


@dataclass
class Options:
    """The server's options: the command line's, then the client's
    ``initializationOptions`` (``mode``, ``select``, ``ignore``, ``extendSelect``,
    ``debounce``, ``ruleUrl``)."""

    mode: str | None = None
    select: list[str] | None = None
    ignore: list[str] | None = None
    extend_select: list[str] | None = None
    debounce: float = DEBOUNCE
    rule_url: str | None = None  # a template with {code}; default: a file of the text


class DocState:
    """An open document and what the server knows about it."""

    def __init__(self, doc: TextDocument, settings: ft.LintSettings) -> None:
        self.doc = doc
        self.settings = settings
        self.book = Book(doc.text, settings.mode)
        self.tunes = ft.Tunes(settings.mode)
        self.linter = Linter(settings.mode, select_rules(settings.select, settings.ignore,
                                                         settings.extend_select))
        self.diagnostics: list[Diagnostic] = []
        self.diag_version = -1
        self.json_memo: dict[Any, dict[str, Any]] = {}
        self.outlines: dict[str, Any] = {}  # each tune's outline by its text
        self.symbols: tuple[int, list[lsp.DocumentSymbol]] | None = None
        self.task: asyncio.Task[None] | None = None

    def edit(self, start: int, end: int, new: str, version: int) -> None:
        self.doc.replace(start, end, new, version)
        self.book.edit(start, end, new)

    def set_text(self, text: str, version: int) -> None:
        self.doc.set_text(text, version)
        self.book.set_text(text)


class _Answered:
    """A message already answered (or dropped) while it was read: pygls's dispatcher
    skips a message whose ``jsonrpc`` is not "2.0"."""

    jsonrpc = "answered"


class AbcProtocol(LanguageServerProtocol):
    """pygls's protocol without its copy of the documents: the server keeps its own
    (:mod:`.textdoc`), and pygls's would cost a rebuild of the document, line by line, on
    every keystroke.

    It also answers a request whose parameters do not fit the method's types: pygls
    reads the message and its parameters in one step and, when they do not fit, drops
    the request unanswered, so the client would wait for ever. Here such a request gets
    an "invalid params" error response, and a notification of that kind is dropped."""

    def handle_message(self, message: Any) -> None:
        """After ``shutdown`` a request gets "invalid request" (the protocol's answer),
        not silence: pygls only logs it, and the client would wait for ever."""
        method = getattr(message, "method", None)
        msg_id = getattr(message, "id", None)
        if self._shutdown and method is not None and msg_id is not None and method != lsp.EXIT:
            self._send_response(msg_id, None, JsonRpcInvalidRequest(
                "the server is shutting down: no more requests").to_response_error())
            return
        super().handle_message(message)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "jsonrpc" in data and "method" in data and "id" in data:
                log.warning("answered %s %r with an error: its parameters do not fit",
                            data.get("method"), data.get("id"))
                self._send_response(data["id"], None, error.to_response_error())
            else:
                log.warning("dropped a message that does not fit its type: %s",
                            str(data)[:200])
            return _Answered()

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class AbcServer(LanguageServer):
    """The ABC language server: documents, settings, the check worker."""

    def __init__(self, options: Options | None = None) -> None:
        super().__init__("abcparse", __version__, protocol_cls=AbcProtocol)
        self.options = options or Options()
        self.docs: dict[str, DocState] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="abc-lint")
        self.heavy = ThreadPoolExecutor(max_workers=1, thread_name_prefix="abc-format")
        self.encoding = UTF16
        self.resolve_support = False
        self.closing = False
        self._rule_files: dict[str, str | None] = {}
        self._rule_lock = threading.Lock()

    # --- settings -------------------------------------------------------------------
    def settings_for(self, uri: str) -> ft.LintSettings:
        """abc-lint's settings for the document's folder: ``[tool.abc-lint]`` of the
        nearest pyproject.toml (:func:`abcparse.cli.check.find_config`), under the
        server's options, resolved by abc-lint's own :func:`~abcparse.cli.check.resolve`
        (so codes are checked the same way)."""
        from ..cli.check import find_config, read_config, resolve

        o = self.options
        path = ft.uri_path(uri)
        conf: dict[str, Any] = {}
        found = None
        problem = None
        if path is not None:
            try:
                found = find_config(os.path.dirname(os.path.abspath(path)))
                if found is not None:
                    conf = read_config(found)
            except (AbcError, OSError) as e:
                problem = str(e)
                conf = {}
        args = argparse.Namespace(
            paths=[], mode=o.mode or conf.get("mode"), select=o.select or conf.get("select"),
            ignore=o.ignore or conf.get("ignore"),
            extend_select=o.extend_select or conf.get("extend-select"), fmt=None, jobs=1,
            exclude=None, statistics=None, exit_zero=None, stdin_filename=None,
            no_config=True)
        try:
            s = resolve(args)
        except AbcError as e:
            problem = f"{found or 'options'}: {e}"
            s = resolve(argparse.Namespace(
                paths=[], mode=o.mode, select=None, ignore=None, extend_select=None,
                fmt=None, jobs=1, exclude=None, statistics=None, exit_zero=None,
                stdin_filename=None, no_config=True))
        return ft.LintSettings(s.mode, s.select, s.ignore, s.extend_select,
                               str(found) if found else None, problem)

    # --- rule explanations ----------------------------------------------------------
    def rule_href(self, code: str) -> str | None:
        """Where a rule's explanation is: ``ruleUrl`` with the code, else a file holding
        ``abc-lint --explain CODE`` in the user's cache folder, written once per version
        (atomically), so a click on the code opens the explanation of the installed
        version, offline."""
        if self.options.rule_url:
            return self.options.rule_url.replace("{code}", code)
        with self._rule_lock:
            if code in self._rule_files:
                return self._rule_files[code]
            href = None
            rule = find_rule(code)
            if rule is not None:
                try:
                    from ..fileio import atomic_write_bytes, user_cache_folder

                    folder = user_cache_folder(__version__, "rules")
                    if folder is not None:
                        target = Path(folder) / f"{code}.md"
                        if not target.exists():
                            atomic_write_bytes(target, _explanation_page(code).encode("utf-8"))
                        href = target.resolve().as_uri()
                except (OSError, AbcError):
                    href = None
            self._rule_files[code] = href
            return href

    async def heavy_work(self, func: Callable[..., _T], *args: Any) -> _T:
        """Run ``func`` (formatting, the fixes of a whole file) in a thread of its own,
        on copies of the text: a 2 MB tunebook takes seconds to format, and meanwhile
        the connection keeps serving hover, outline and diagnostics."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.heavy, func, *args)

    # --- checking -------------------------------------------------------------------
    def schedule(self, state: DocState, delay: float | None = None) -> None:
        if state.task is not None:
            state.task.cancel()
        state.task = asyncio.ensure_future(
            self._check_later(state, self.options.debounce if delay is None else delay))

    async def _check_later(self, state: DocState, delay: float) -> None:
        await asyncio.sleep(delay)
        version = state.doc.version
        snapshot = state.book.snapshot()
        linter = state.linter
        doc = state.doc

        def stale() -> bool:
            # A newer text, a closed document or a server shutting down: stop.
            return (doc.version != version or self.closing
                    or self.docs.get(doc.uri) is not state)

        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            diags = await loop.run_in_executor(self.pool, _check, linter, snapshot, stale)
        except Stale:
            log.debug("check of version %d overtaken by a newer text", version)
            return
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug in a check must not stop the server
            log.exception("checking %s failed", doc.uri)
            return
        if doc.version != version or self.docs.get(doc.uri) is not state:
            return
        checked = time.perf_counter()
        state.diagnostics = diags
        state.diag_version = version
        self.publish(state, diags, version)
        if log.isEnabledFor(logging.DEBUG):
            s = linter.stats
            log.debug("version %d: check %.3f s (%d windows, %d checked, resumed at %d),"
                      " publish %.3f s, %d findings", version, checked - started, s.windows,
                      s.checked, s.resumed_at, time.perf_counter() - checked, len(diags))

    def publish_empty(self, uri: str) -> None:
        """Clear a closed document's diagnostics in the client."""
        send = getattr(self.protocol, "_send_data", None)
        if send is not None:
            send({"jsonrpc": "2.0", "method": lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                  "params": {"uri": uri, "diagnostics": []}})

    def publish(self, state: DocState, diags: list[Diagnostic], version: int) -> None:
        doc = state.doc
        # The JSON of each finding, remembered by what it shows: after an edit most
        # findings are the ones published last time (in a 2 MB tunebook, thousands).
        memo = state.json_memo if doc.plain else {}
        fresh: dict[Any, dict[str, Any]] = {}
        items = []
        for d in diags:
            s = d.span
            key = (d.code, d.message, d.severity, s.line, s.col, s.end_line, s.end_col)
            item = memo.get(key)
            if item is None:
                item = ft.diagnostic_json(doc, d, self.rule_href(d.code))
            fresh[key] = item
            items.append(item)
        state.json_memo = fresh
        params = {"uri": doc.uri, "version": version, "diagnostics": items}
        send = getattr(self.protocol, "_send_data", None)
        if send is not None:
            send({"jsonrpc": "2.0", "method": lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                  "params": params})
        else:  # pragma: no cover - a pygls without the raw path: the typed one
            self.text_document_publish_diagnostics(
                self.protocol._converter.structure(params, lsp.PublishDiagnosticsParams))


def _check(linter: Linter, book: Book, stale: Callable[[], bool]) -> list[Diagnostic]:
    """Run in the worker thread. After a check that read many tunes (opening a big
    tunebook), what it keeps (the windows' findings, the pieces) is moved out of the
    cyclic garbage collector's sight (:func:`gc.freeze`): those objects live as long as
    the document and hold no cycles (they are freed by reference counting when an edit
    replaces them), and a full collection that walked them all cost 0.1-0.3 s in a 2 MB
    tunebook, at random keystrokes."""
    diags = linter.check(book, stale)
    if linter.stats.checked >= FREEZE_AFTER:
        gc.collect()
        gc.freeze()
    return diags


def _explanation_page(code: str) -> str:
    rule = find_rule(code)
    if rule is None:
        return f"# {code}\n\nNo such rule.\n"
    return f"# {code} {rule.name}\n\n```text\n{rule.explanation()}```\n"


# ---------------------------------------------------------------------------------------
# The features


def build_server(options: Options | None = None) -> AbcServer:
    """A server with every feature registered (not started)."""
    server = AbcServer(options)

    def state_of(uri: str) -> DocState | None:
        return server.docs.get(uri)

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: AbcServer, params: lsp.InitializeParams) -> None:
        opts = params.initialization_options
        if isinstance(opts, dict):
            mode = opts.get("mode")
            if mode in ("auto", "strict", "loose") and ls.options.mode is None:
                ls.options.mode = mode
            for key, attr in (("select", "select"), ("ignore", "ignore"),
                              ("extendSelect", "extend_select")):
                value = opts.get(key)
                if isinstance(value, str):
                    value = [value]
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    setattr(ls.options, attr, value)
            debounce = opts.get("debounce")
            if isinstance(debounce, (int, float)) and 0 <= debounce <= 10:
                ls.options.debounce = float(debounce)
            url = opts.get("ruleUrl")
            if isinstance(url, str) and url:
                ls.options.rule_url = url
        with contextlib.suppress(Exception):
            enc: Any = ls.workspace.position_encoding
            ls.encoding = str(getattr(enc, "value", enc) or UTF16)
        if ls.encoding not in (UTF8, UTF16, UTF32):
            ls.encoding = UTF16
        caps = params.capabilities
        with contextlib.suppress(AttributeError, TypeError):
            resolve = caps.text_document.code_action.resolve_support  # type: ignore[union-attr]
            ls.resolve_support = resolve is not None and "edit" in resolve.properties

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: AbcServer, params: None) -> None:
        # A check under way stops at its next tune, so exit does not wait for it.
        ls.closing = True

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: AbcServer, params: lsp.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        settings = ls.settings_for(item.uri)
        if settings.problem:
            ls.window_show_message(lsp.ShowMessageParams(
                type=lsp.MessageType.Warning, message=f"abc-lint: {settings.problem}"))
        doc = TextDocument(item.uri, item.text, item.version, item.language_id, ls.encoding)
        state = DocState(doc, settings)
        ls.docs[item.uri] = state
        ls.schedule(state, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: AbcServer, params: lsp.DidChangeTextDocumentParams) -> None:
        state = state_of(params.text_document.uri)
        if state is None:
            return
        version = params.text_document.version
        for change in params.content_changes:
            if isinstance(change, lsp.TextDocumentContentChangePartial):
                doc = state.doc
                a = ft.offset_of(doc, change.range.start)
                b = ft.offset_of(doc, change.range.end)
                state.edit(min(a, b), max(a, b), change.text, version)
            else:
                state.set_text(change.text, version)
        ls.schedule(state)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: AbcServer, params: lsp.DidCloseTextDocumentParams) -> None:
        state = ls.docs.pop(params.text_document.uri, None)
        if state is not None and state.task is not None:
            state.task.cancel()
        ls.publish_empty(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: AbcServer, params: lsp.HoverParams) -> lsp.Hover | None:
        state = state_of(params.text_document.uri)
        if state is None:
            return None
        doc = state.doc
        offset = ft.offset_of(doc, params.position)
        diags = state.diagnostics if state.diag_version == doc.version else []
        found = ft.hover(doc, state.book, state.tunes, offset, diags)
        if found is None:
            return None
        text, (a, b) = found
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                         range=ft.lsp_range(doc, a, b))

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def symbols(ls: AbcServer, params: lsp.DocumentSymbolParams
                      ) -> list[lsp.DocumentSymbol] | None:
        # In a thread of its own, on copies: the outline of thousands of tunes takes a
        # few tenths of a second, which must not hold up the diagnostics.
        state = state_of(params.text_document.uri)
        if state is None:
            return None
        version = state.doc.version
        if state.symbols is not None and state.symbols[0] == version:
            return state.symbols[1]
        found = await ls.heavy_work(ft.document_symbols, state.doc.copy(),
                                    state.book.snapshot(), state.outlines)
        state.symbols = (version, found)
        return found

    @server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)
    async def folding(ls: AbcServer, params: lsp.FoldingRangeParams
                      ) -> list[lsp.FoldingRange] | None:
        state = state_of(params.text_document.uri)
        if state is None:
            return None
        return await ls.heavy_work(ft.folding_ranges, state.doc.copy(),
                                   state.book.snapshot())

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=["!", ":", " "]))
    def completion(ls: AbcServer, params: lsp.CompletionParams
                   ) -> lsp.CompletionList | None:
        state = state_of(params.text_document.uri)
        if state is None:
            return None
        offset = ft.offset_of(state.doc, params.position)
        items = ft.completion(state.doc, state.book, state.tunes, offset)
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: AbcServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
        state = state_of(params.text_document.uri)
        if state is None:
            return None
        offset = ft.offset_of(state.doc, params.position)
        return [lsp.Location(uri=state.doc.uri, range=ft.lsp_range(state.doc, a, b))
                for a, b in ft.definition(state.book, state.tunes, offset)]

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    async def formatting(ls: AbcServer, params: lsp.DocumentFormattingParams
                         ) -> list[lsp.TextEdit] | None:
        state = state_of(params.text_document.uri)
        if state is None:
            return None
        doc = state.doc.copy()
        return await ls.heavy_work(ft.format_document, doc, state.settings)

    @server.feature(lsp.TEXT_DOCUMENT_RANGE_FORMATTING)
    async def range_formatting(ls: AbcServer, params: lsp.DocumentRangeFormattingParams
                               ) -> list[lsp.TextEdit] | None:
        state = state_of(params.text_document.uri)
        if state is None:
            return None
        doc = state.doc.copy()
        a = ft.offset_of(doc, params.range.start)
        b = ft.offset_of(doc, params.range.end)
        return await ls.heavy_work(ft.format_range, doc, state.book.snapshot(),
                                   state.settings, min(a, b), max(a, b))

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix,
                                                 lsp.CodeActionKind.SourceFixAll,
                                                 ft.FIX_ALL_KIND],
                              resolve_provider=True))
    def code_action(ls: AbcServer, params: lsp.CodeActionParams
                    ) -> list[lsp.CodeAction] | None:
        state = state_of(params.text_document.uri)
        if state is None:
            return None
        return _code_actions(ls, state, params)

    @server.feature(lsp.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: AbcServer, action: lsp.CodeAction) -> lsp.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        state = state_of(str(data.get("uri", "")))
        if state is None or data.get("version") != state.doc.version:
            return action
        if data.get("what") == "file":
            doc = state.doc.copy()
            edits = await ls.heavy_work(ft.file_fix_all, doc, state.settings)
            if edits:
                action.edit = lsp.WorkspaceEdit(changes={doc.uri: edits})
        return action

    @server.command(EXPLAIN_COMMAND)
    def explain(ls: AbcServer, code: str) -> str:
        """The text of ``abc-lint --explain CODE``."""
        rule = find_rule(str(code))
        if rule is None:
            # "Invalid params", the client's mistake: not an internal error with a trace.
            raise JsonRpcInvalidParams(f"no rule {code!r}; codes look like ABC301")
        return rule.explanation()

    return server


def _code_actions(ls: AbcServer, state: DocState, params: lsp.CodeActionParams
                  ) -> list[lsp.CodeAction]:
    """Each finding's fix (safe ones preferred), suppressing a finding on its line,
    every safe fix of the tune, and of the file."""
    doc = state.doc
    only = params.context.only
    want_quick = not only or any(str(k).startswith("quickfix") for k in only)
    want_all = not only or any(
        ft.FIX_ALL_KIND.startswith(str(k)) or str(k).startswith(ft.FIX_ALL_KIND)
        for k in only)
    out: list[lsp.CodeAction] = []
    mine = [d for d in params.context.diagnostics
            if d.source == ft.SOURCE and isinstance(d.code, str)]
    if want_quick:
        for d in mine:
            code = str(d.code)
            offset = ft.offset_of(doc, d.range.start)
            offer = ft.finding_fix(state.book, state.tunes, state.settings, offset, code)
            if offer is not None:
                mark = "safe fix" if offer.safe else "unsafe fix"
                note = f"; {offer.note}" if offer.note else ""
                edits = [lsp.TextEdit(ft.lsp_range(doc, a, b), new)
                         for a, b, new in offer.edits]
                out.append(lsp.CodeAction(
                    title=f"Fix {code}: {offer.why} ({mark}{note})",
                    kind=lsp.CodeActionKind.QuickFix, diagnostics=[d],
                    is_preferred=offer.safe or None,
                    edit=lsp.WorkspaceEdit(changes={doc.uri: edits})))
            disable = ft.disable_action(doc, d.range.start.line, code, [d])
            if disable is not None:
                out.append(disable)
    if want_all:
        start = ft.offset_of(doc, params.range.start)
        if mine or (only and any(str(k).startswith("source") for k in only)):
            tune_edits = ft.tune_fix_all(doc, state.book, state.tunes, state.settings, start)
            if tune_edits:
                out.append(lsp.CodeAction(
                    title="Fix all safe problems in this tune (abc-lint --fix)",
                    kind=lsp.CodeActionKind.QuickFix if not only else ft.FIX_ALL_KIND,
                    diagnostics=mine or None,
                    edit=lsp.WorkspaceEdit(changes={doc.uri: tune_edits})))
        if state.diagnostics and any(d.code in FIXERS for d in state.diagnostics):
            action = lsp.CodeAction(title="Fix all safe problems in this file (abc-lint --fix)",
                                    kind=ft.FIX_ALL_KIND,
                                    data={"uri": doc.uri, "version": doc.version,
                                          "what": "file"})
            if not ls.resolve_support:
                # The client cannot ask for the edit later: compute it now, but only
                # for a small file (a code action request must answer at once).
                if len(doc.text) > EAGER_FILE_FIX:
                    return out
                file_edits = ft.file_fix_all(doc, state.settings)
                if not file_edits:
                    return out  # no safe fix applies: no menu entry that does nothing
                action.edit = lsp.WorkspaceEdit(changes={doc.uri: file_edits})
            out.append(action)
    return out


def main(options: Options | None = None) -> int:
    """Serve on standard input and output until the client says exit."""
    # ABCPARSE_LSP_DEBUG=1 logs each check's timing to standard error.
    level = logging.DEBUG if os.environ.get("ABCPARSE_LSP_DEBUG") else logging.WARNING
    logging.basicConfig(level=logging.WARNING, format="abcparse lsp: %(message)s")
    log.setLevel(level)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_quiet_client_errors)
    server = build_server(options)
    server.start_io(stdin=BoundedInput(sys.stdin.buffer))  # type: ignore[arg-type]
    # The protocol's exit code: 0 after shutdown, 1 when the client exits (or goes away)
    # without asking for one.
    return 0 if server.protocol._shutdown else 1


def _quiet_client_errors(record: logging.LogRecord) -> bool:
    """Keep pygls's log of a handler's exception out of standard error when it is the
    answer the client gets (invalid params, invalid request): the client's mistake, said
    in the response, not a fault of the server with a Python traceback."""
    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, (JsonRpcInvalidParams, JsonRpcInvalidRequest))


#: The largest message the server reads (a document of this size is far past any
#: tunebook an editor holds open).
MAX_MESSAGE = 256 * 1024 * 1024


class BoundedInput:
    """Standard input for pygls's reader, with the size of a message bounded: a
    ``Content-Length`` beyond :data:`MAX_MESSAGE` (a broken client) made pygls ask for
    that many bytes at once, and a length of 10**12 ended the server with a memory
    error. Such a body is read and thrown away in pieces; the server goes on."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def readline(self) -> bytes:
        return bytes(self.raw.readline())

    def read(self, n: int) -> bytes:
        if n <= MAX_MESSAGE:
            return bytes(self.raw.read(n))
        log.error("a message of %d bytes is past the %d the server reads: skipped",
                  n, MAX_MESSAGE)
        left = n
        while left > 0:
            piece = self.raw.read(min(left, 1 << 20))
            if not piece:
                return b""  # the client went away
            left -= len(piece)
        return b'{"jsonrpc": "2.0", "method": "$/abcparse/skipped"}'

