"""ER diagrams (Mermaid, DOT) and the Markdown schema reference built from a Schema."""
