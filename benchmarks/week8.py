"""Week 8: wall-clock time of the capstone lesson under nbval (target: at most 180 s on 2 cores)."""
from benchmarks._nbval_timing import lesson_benchmark

run = lesson_benchmark(8, "week08_capstone.ipynb")
