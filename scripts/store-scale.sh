#!/bin/sh
# The county server's store at the scale of a province (README, "County
# server"): N agencies (default 20,000) with a report each, in a temporary
# folder; prints the database's size and the time of import, save, submit,
# county(), submitted_reports() and backup.
#   scripts/store-scale.sh          # N = 20000
#   scripts/store-scale.sh 2000
set -eu
exec cargo run --release --quiet --example store_scale -- "${1:-20000}"
