#!/usr/bin/env bash
# Writes a throwaway certificate authority and a server certificate it signed for
# localhost and 127.0.0.1 into DIR, for a PostgreSQL server the TLS tests connect
# to (tests/it/postgres_tls.rs): DIR/ca.pem, DIR/server.pem and
# DIR/server.key (readable by its owner only: chown it to the server's user);
# DIR/client.pem and DIR/client.key, a client certificate for CN=feedbraid signed by
# the same authority; and DIR/other-ca.pem, an authority that signed nothing here.
# Usage: scripts/pg_test_certs.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/pg_test_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
  -subj "/CN=feedbraid test CA" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
  "keyUsage=digitalSignature" "extendedKeyUsage=serverAuth" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 \
  -extfile server.ext -out server.pem 2>/dev/null
chmod 600 server.key
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=feedbraid" -keyout client.key -out client.csr 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature" \
  "extendedKeyUsage=clientAuth" > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 \
  -extfile client.ext -out client.pem 2>/dev/null
chmod 600 client.key
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
  -subj "/CN=feedbraid test other CA" -keyout other-ca.key -out other-ca.pem 2>/dev/null
rm -f ca.key ca.srl server.csr server.ext client.csr client.ext other-ca.key
