"""Employers and the places they provide (Stockholmsjobb, feriejobb, praktik)."""
