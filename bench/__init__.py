"""Benchmarks: each module has run(...) -> dict and main()."""
