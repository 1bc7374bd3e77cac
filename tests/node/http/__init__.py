"""Tests of node/http, one package per face: activitypub, api, pages."""
