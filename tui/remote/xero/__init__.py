"""Async Xero client: typed errors, endpoints, and the JSON it sends and reads."""
