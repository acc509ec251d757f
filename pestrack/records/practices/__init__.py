"""A PES's self-assessment against the practice catalogue (pestrack.benchlearning.practices)."""
