"""Mission documents: roadmap data from the platform DB, templates, rendering and publishing."""
