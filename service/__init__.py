"""Tværs — cross-sector case coordination API against loneliness."""
