"""The web app: FastAPI with server-rendered pages (Jinja2 + HTMX), a JSON API and DICOMweb."""
