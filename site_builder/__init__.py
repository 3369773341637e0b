"""Jamdat: static hackathon archives built from plain content files."""

__version__ = "0.1.0"
