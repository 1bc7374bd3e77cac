"""Scenarios across real servers on loopback: several Cove nodes, or Cove and an independent
server, where one story runs through several rooms."""
