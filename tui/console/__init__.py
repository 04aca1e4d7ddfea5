"""The console: the Textual app, its styles, screens, widgets, dialogs, and flows (sign-in,
push confirmation). It calls service use cases and shows their events; it never touches HTTP
or files itself."""
