"""Database facts: the Schema dataclasses, reflection (the only code that connects), snapshots, scratch servers, comparison."""
