"""The ABC language server (``abcparse lsp``): abc-lint, the fixes and the formatter
in the editor, over the Language Server Protocol.

Installed with the ``[lsp]`` extra (pygls 2, lsprotocol). Importing this package
imports neither: :mod:`.server` does, and only ``abcparse lsp`` imports it, so
``import abcparse`` and every other command work without the extra. How to use it from
an editor: docs/lsp.md.
"""

from __future__ import annotations
