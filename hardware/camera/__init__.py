"""Camera port: a live low-resolution preview and full-resolution stills, as RGB arrays."""
