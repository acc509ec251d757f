"""Benchlearning: a shared indicator set every profile maps onto its analytics tables, packages of
aggregates (no person) exchanged between PES, and their comparison (docs/benchlearning.md)."""
