"""vidseek: self-hosted text-to-video search."""
