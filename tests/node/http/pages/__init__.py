"""Tests of node/http/pages: server-rendered pages."""
