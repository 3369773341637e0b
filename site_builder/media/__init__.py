"""`jamdat media`: keep the archive's images in the archive (`content/media/`)."""
