"""Properties over every route and every delivery: anonymity, members-only, hostile input."""
