"""Benchmarks (`make bench`): scripts that measure, never pass/fail tests.
See docs/benchmarks.md."""
