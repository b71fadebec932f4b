"""The demo world: videos of coloured shapes, described in five languages, with ground truth."""
