"""Scanroom: an open-source medical imaging training platform.

For education and training only. Never for clinical decisions.
"""

__version__ = "0.1.0"

EDUCATION_NOTICE = "For education and training only — not for clinical use or diagnosis."
