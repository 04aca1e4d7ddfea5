"""Flows that span several dialogs: signing in from the console, confirming a push."""
