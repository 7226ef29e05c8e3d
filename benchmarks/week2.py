"""Week 2: wall-clock time of the whole week-2 lesson under nbval (target: at most 180 s on 2 cores)."""
from benchmarks._nbval_timing import lesson_benchmark

run = lesson_benchmark(2, "week02_strengths_limits_cost.ipynb")
