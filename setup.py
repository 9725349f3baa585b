"""The optional C extension (abcparse/_speedups.c): everything else is in pyproject.toml.

``optional=True``: where no C compiler is there the build says so and goes on, and
abcparse runs its pure-Python path, with the same results (abcparse.speedups)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("abcparse._speedups", ["abcparse/_speedups.c"], optional=True)])
