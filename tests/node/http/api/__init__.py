"""Tests of node/http/api: the moderation API and Mastodon's domain policy API."""
