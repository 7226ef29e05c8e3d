"""Week 6: wall-clock time of the operations-and-responsibility lesson under nbval (target: at most 180 s on 2 cores)."""
from benchmarks._nbval_timing import lesson_benchmark

run = lesson_benchmark(6, "week06_operations_responsibility.ipynb")
