"""HTTP signatures: draft-cavage-12 and RFC 9421, signing and verifying, and the inbound rules
(Mastodon's) a request must meet before its signature counts."""
