# tests/fuzz/: libFuzzer targets (--enable-fuzzing).
