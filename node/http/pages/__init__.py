"""Server-rendered HTML pages for people in browsers (Jinja2 templates, autoescaped)."""
