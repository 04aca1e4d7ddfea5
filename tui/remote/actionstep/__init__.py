"""Async Actionstep client: paging, quirks, and bills -> core models."""
