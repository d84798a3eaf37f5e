"""The generator pipeline: Schema + Config -> plans -> rendered, formatted files -> atomic writes."""
