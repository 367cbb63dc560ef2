"""CLI sub-command groups, one module each, registered in scanroom.cli."""
