"""Word lists read by features (profanity stems, frequent words): data, kept in a package so
setuptools ships them without a warning."""
