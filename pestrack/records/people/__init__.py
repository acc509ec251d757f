"""Persons (participants) with encrypted, hash-indexed identity numbers."""
