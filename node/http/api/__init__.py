"""The JSON APIs behind bearer tokens: Mastodon's report and admin domain endpoints, Cove's own
moderation routes; auth, params, entities and paging serve one module per resource."""
