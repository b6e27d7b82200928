#!/usr/bin/env bash
# tests/web/nginx.setup.sh <work dir> — the test CA and certificates of
# tls.setup.sh, here for nginx (vaultweb itself stays plain HTTP).
exec bash "$(dirname "$0")/tls.setup.sh" "$1"
