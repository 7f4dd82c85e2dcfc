"""Benchmark scripts: speed and memory measured on this machine, written as CSVs under results/.

Run one with ``python -m derainbench.benchmarks.<name>``; none of them is a test.
"""
