"""Tests of federation/: the wire, signatures, JSON-LD and the client, with no database."""
