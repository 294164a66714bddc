"""Fault-injection tests: real processes, real databases, faults injected on purpose."""
