"""Control and observability bridge for a live autogen-core runtime."""
