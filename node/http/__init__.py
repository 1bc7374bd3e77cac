"""The HTTP face of a node: ActivityPub endpoints, discovery, and server-rendered pages."""
