"""``vidseek mcp``: the library as Model Context Protocol tools for AI assistants."""
