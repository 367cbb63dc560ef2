"""Offline generators for the bundled X-ray data (need SpekPy; never imported at run time)."""
