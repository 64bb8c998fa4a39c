from django.apps import AppConfig


class BenchFloorConfig(AppConfig):
    name = "salama.bench_floor"
    verbose_name = "Benchmark floor"
