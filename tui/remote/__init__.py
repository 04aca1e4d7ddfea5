"""The remote services: async clients for Xero and Actionstep (auth, paging, quirks, the rate
gate), the OAuth2 sign-in flows and token keeping, and the HTTP transport they share."""
