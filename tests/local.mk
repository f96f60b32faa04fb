# tests/: unit tests (C, TAP), integration tests (real daemon on loopback,
# Python from Debian, TAP), fuzz targets.
