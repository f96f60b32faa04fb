# tests/browser/: real Chromium driven by playwright-core.
