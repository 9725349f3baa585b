"""Tests of corpus cleaning (``abcparse corpus clean`` / ``stats``)."""
