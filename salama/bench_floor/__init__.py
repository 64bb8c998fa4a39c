"""The benchmarks' framework floor: a bare Django view inserting one row (docs/benchmarks.md).
Installed only when SALAMA_BENCH_FLOOR=1, so no deployment ever serves it."""
