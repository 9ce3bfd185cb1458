"""Benchmarks (`make bench`): figures are printed and recorded in bench/RESULTS.md, never asserted."""
