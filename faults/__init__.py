"""Fault tests (`make faults`): processes and the database die under load; nothing acknowledged
is lost. See docs/benchmarks.md ("Fault tests")."""
