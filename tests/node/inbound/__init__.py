"""Tests of node/inbound: what peers' activities (Lemmy's shapes, Flags, remote groups) do here."""
