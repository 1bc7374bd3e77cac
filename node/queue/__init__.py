"""The store as a queue: received activities and their apply loop, deliveries and their sender,
workers, the scheduler, retention."""
