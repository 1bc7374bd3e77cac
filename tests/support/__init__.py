"""What the tests share: hostile and Lemmy stand-in peers, the route walk, the API contract."""
