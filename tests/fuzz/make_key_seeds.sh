#!/usr/bin/env bash
# make_key_seeds.sh OUT_DIR - real private keys as seeds for fuzz_private_key, made fresh at run
# time and never committed (the committed corpus holds only broken key structures). Each file is
# the target's input: a mode byte (0 PKCS#8, 1 encrypted PKCS#8, 2 SEC1, 3 PKCS#1: DER follows;
# 4: PEM text follows), a passphrase byte (0 none, 1 "fuzz-pass", 2 wrong), then the key.
# Cheap KDF parameters on purpose (PBKDF2 -iter 1..2048, scrypt N=1024): see kdf_cost.hpp.
set -euo pipefail
out=${1:?usage: make_key_seeds.sh OUT_DIR}
mkdir -p "$out"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
o() { openssl "$@" 2>/dev/null; }
seed() {  # seed NAME MODE PASS FILE
  { printf "\\x$2\\x$3"; cat "$4"; } >"$out/$1"
}
o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$t/ec.pem"
o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$t/ec384.pem"
o genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$t/rsa.pem"
o genpkey -algorithm ED25519 -out "$t/ed.pem"
for k in ec ec384 rsa ed; do
  o pkey -in "$t/$k.pem" -outform DER -out "$t/$k.p8"
  seed "${k}_pkcs8" 00 00 "$t/$k.p8"
  seed "${k}_pkcs8_text" 04 00 "$t/$k.pem"
done
P=(-passout pass:fuzz-pass)
o pkcs8 -topk8 -in "$t/ec.pem" -outform DER -v2 aes-256-cbc -iter 1 "${P[@]}" -out "$t/ec_enc1"
o pkcs8 -topk8 -in "$t/rsa.pem" -outform DER -v2 aes-128-cbc -v2prf hmacWithSHA512 -iter 2048 "${P[@]}" -out "$t/rsa_enc"
o pkcs8 -topk8 -in "$t/ed.pem" -outform DER -scrypt -scrypt_N 1024 -scrypt_r 8 -scrypt_p 1 "${P[@]}" -out "$t/ed_scrypt"
o pkcs8 -topk8 -in "$t/ec.pem" -outform DER -v1 PBE-SHA1-3DES -iter 1 "${P[@]}" -out "$t/ec_pbes1" || true
o pkcs8 -topk8 -in "$t/ec.pem" -v2 aes-256-gcm -iter 1 "${P[@]}" -out "$t/ec_gcm.pem" || true
for f in ec_enc1 rsa_enc ed_scrypt ec_pbes1; do
  [ -s "$t/$f" ] || continue
  seed "$f" 01 01 "$t/$f"
  seed "${f}_nopass" 01 00 "$t/$f"
  seed "${f}_wrongpass" 01 02 "$t/$f"
done
[ -s "$t/ec_gcm.pem" ] && seed ec_gcm_text 04 01 "$t/ec_gcm.pem"
o ec -in "$t/ec.pem" -outform DER -out "$t/ec.sec1" && seed ec_sec1 02 00 "$t/ec.sec1"
o rsa -in "$t/rsa.pem" -traditional -outform DER -out "$t/rsa.pkcs1" && seed rsa_pkcs1 03 00 "$t/rsa.pkcs1"
o rsa -in "$t/rsa.pem" -traditional -aes128 "${P[@]}" -out "$t/rsa_legacy.pem" && seed rsa_legacy_text 04 01 "$t/rsa_legacy.pem"
o ec -in "$t/ec.pem" -des3 "${P[@]}" -out "$t/ec_legacy.pem" && seed ec_legacy_text 04 01 "$t/ec_legacy.pem"
echo "$(ls "$out" | wc -l) key seeds in $out"
