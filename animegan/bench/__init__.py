"""Benchmarks: every backend on this machine against a measured roofline (not export code)."""
