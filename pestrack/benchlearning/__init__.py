"""Benchlearning: a shared indicator set every profile maps onto its analytics tables, packages of
aggregates (no person) exchanged between PES, their comparison (docs/benchlearning.md), and the
practice catalogue with each PES's self-assessment (docs/practices.md)."""
