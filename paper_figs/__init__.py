"""Figure scripts: each writes its numbers beside the picture; a manifest records everything."""
