"""Tests of node/http/activitypub: actors, collections, discovery, inboxes."""
