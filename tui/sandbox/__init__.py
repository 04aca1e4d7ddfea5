"""Simulated Xero and Actionstep (ASGI apps) and the demo firm's data. Stands in for both
services in the demo and the tests; nothing here is used when connected to the real ones."""
