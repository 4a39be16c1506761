"""Built-in formats, one module each, registered through the same hook as third parties."""
