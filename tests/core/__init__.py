"""Tests of the core: parser, model, API (issue 2)."""
