"""The team's model files on disk: scanned, owned, merged on regeneration and repaired by ``drift --fix``."""
