"""pestrack: an open, self-hostable system for public employment services."""

__version__ = "0.1.0"
