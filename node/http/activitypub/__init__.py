"""ActivityPub and discovery over HTTP: actors, collections, objects, inboxes, WebFinger and
NodeInfo."""
