"""The use cases both front ends call: the workspace (load, sync, evaluate, push), mapping
edits, connections and status, exports, the demo. No Textual here."""
