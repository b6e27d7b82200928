#!/usr/bin/env bash
# tests/web/tls.setup.sh <work dir> — a test CA made here and now (openssl
# from Debian), and two server certificates it signs for 127.0.0.1 and
# localhost: server.pem/server.key (served first) and next.pem/next.key (put
# in place by the reload test).
set -euo pipefail
w=$1
mkdir -p "$w"
cd "$w"
rm -f ca.* server.* next.* *.srl
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=smsvault test CA $$" -keyout ca.key -out ca.pem \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
for name in server next; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=smsvault $name" \
    -keyout "$name.key" -out "$name.csr" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out "$name.pem" \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n') 2>/dev/null
done
chmod 600 ./*.key
# vaultweb reads these paths; the reload test swaps the files under them
cp server.pem live.pem
cp server.key live.key
