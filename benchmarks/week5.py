"""Week 5: wall-clock time of the evaluation lesson under nbval (target: at most 180 s on 2 cores)."""
from benchmarks._nbval_timing import lesson_benchmark

run = lesson_benchmark(5, "week05_evaluation.ipynb")
