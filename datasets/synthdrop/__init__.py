"""SynthDrop-SK: the offline raindrop renderer (drops, composition, streaks, backgrounds), the
dataset that serves its samples, and the writer that puts a rendered set on disk."""
