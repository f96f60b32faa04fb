# packaging/: Debian packaging, systemd unit, man pages (issue 7).
