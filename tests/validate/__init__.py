"""Tests of the validator and abc-lint (issue 3)."""
