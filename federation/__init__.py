"""The ActivityPub wire: documents, discovery formats, keys and (later) signatures.

Knows nothing of Cove's tables; everything here is testable without a database.
"""
