"""End-to-end tests of the web console in headless Chromium."""
