"""Week 7: wall-clock time of the week-7 lesson under nbval (target: at most 180 s on 2 cores)."""
from benchmarks._nbval_timing import lesson_benchmark

run = lesson_benchmark(7, "week07_frame_an_opportunity.ipynb")
