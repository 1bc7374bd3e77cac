"""What moderators do and see: reports (received, filed, decided), removals, bans, suspensions,
a group's own domain blocks, appointments, the moderation log and who may act."""
