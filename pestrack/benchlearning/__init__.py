"""Benchlearning: several PES compared on one indicator set, and the practice catalogue."""
