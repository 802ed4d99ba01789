"""The live program: the current version of each conference, what changed between two
versions, and following a source as it changes (see notes in the README)."""
