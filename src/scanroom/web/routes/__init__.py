"""Routers, one per area. Routes stay thin: parse, authorise (through deps), call a service, render."""
