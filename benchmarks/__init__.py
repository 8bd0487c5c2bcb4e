"""Speed comparisons of nnlib, printed as ratios measured in one run: ``python -m benchmarks``."""
