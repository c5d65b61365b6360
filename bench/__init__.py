"""Measurements of CNC Pulse at realistic volumes; see docs/benchmarks.md."""
