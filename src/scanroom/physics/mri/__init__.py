"""MRI physics core (public API is assembled here as modules land)."""
