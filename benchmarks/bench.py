#!/usr/bin/env python3
"""Benchmark entry point (same as `python -m torchresample bench`): ours vs torch, medians, % of the memory floor."""
import sys

from torchresample.bench import main

if __name__ == "__main__":
    sys.exit(main())
