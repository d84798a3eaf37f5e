"""``modelgen sync``: a production change turned into the change the repository needs."""
