"""Server-rendered HTML pages for people in browsers (Jinja2 templates, autoescaped): the
front page, a group's, a person's, a group's moderation log."""
