#!/usr/bin/env bash
# deliver_test.sh <build-dir> — what a handset really sends and gets (issue
# 8), on the real stack: PostgreSQL, smscsim, bearerbox (conf/kannel.conf),
# vaultbox and vaultweb.
#
#   * a business card sent the way phones send it (Smart Messaging: 8-bit to
#     port 9204, GB2312 in quoted-printable, three numbers, one PREF; a long
#     one concatenated with a 16-bit reference): from an unbound phone the
#     registration hint and nothing stored; from a bound phone one contact
#     per number, the PREF one current, seen so on the web API; a broken
#     card answered clearly, nothing stored; a WAP push to port 2948
#     ignored, nothing stored or charged;
#   * a text forwarded to the second short code is saved as it is and shows
#     in LIST;
#   * the same item sent by GET and by the web's "send to my phone" reaches
#     the phone identical — bytes, UDH and data coding as smscsim saw them —
#     for every kind vaultbox sends: an SMS (UCS-2, three parts), a contact
#     (a port-9204 business card, and a long one bearerbox concatenates);
#     an MMS goes to vaultmms, which delivers it as an MMS
#     (mms_deliver_test.sh does GET and the web's send for it);
#   * an item deleted between the request and its sending: the phone is told,
#     the request is failed with its reason.
#
# Needs the test cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN); creates
# and drops a database of its own there. Everything on free loopback ports;
# the teardown of tests/e2e/lib.sh stops what it started, prints logs on
# failure and fails on ERROR/PANIC in our own logs.
set -euo pipefail

BUILD=$(cd "${1:?usage: deliver_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

source "$ROOT/tests/e2e/lib.sh"
e2e_begin deliver-e2e
e2e_ports
e2e_web_port
e2e_db deliver_e2e
e2e_conf

fail() { e2e_fail "$@"; }
say() { echo "e2e: ok $*"; }
sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }
expect() { e2e_expect "$@"; }

# web <METHOD> <path> [json]: one API call as dora; status in WS, body in $VAR/resp
web() {
    local args=(-sS -o "$VAR/resp" -w '%{http_code}' -b "$VAR/jar" -c "$VAR/jar" -X "$1" --max-time 30)
    [[ $1 == POST ]] && args+=(-H 'X-Smsvault-Csrf: 1' -H 'Content-Type: application/json' --data-binary "${3-}")
    WS=$(curl "${args[@]}" "$WEB$2") || fail "$1 $2: curl failed"
}
web_ok() { [[ $WS == 200 || $WS == 201 ]] || fail "$1: HTTP $WS: $(cat "$VAR/resp")"; }
json() { jq -r "$1" "$VAR/resp"; }

# card <file> <text with \r\n escapes>: a .vcf file as a phone would send it
card() { printf '%b' "$2" >"$1"; }

# mo <msisdn> <text>: an MO straight through smscsim's control port, so that
# its replies stay in smscsim for e2e_wait_raw
mo() {
    local ans
    ans=$(e2e_ctl MO "$1" "$SV_SHORTCODE" "$(e2e_hex "$2")")
    [[ $ans == "OK "* ]] || fail "MO '$2' from $1: $ans"
}

# same_mt <line> <line>: two MT as smscsim saw them are the same message.
# A concatenated binary MT is reported with its first part's UDH, whose
# 8-bit reference bearerbox counts per message: that octet is left out.
norm() { sed -E 's/^(MT [^ ]+ [^ ]+ BIN [0-9]+ 0b050423f400000003)[0-9a-f]{2}/\1rr/' <<<"$1"; }
same_mt() { [[ $(norm "$1") == "$(norm "$2")" ]]; }

e2e_start smscsim
e2e_start bearerbox
e2e_start vaultbox
e2e_start vaultweb

A=8613800000201 B=8613800000202

# --- 1. an account by SMS, the same on the web
expect $A "REG dora pass1234" "Welcome dora!"
web POST /api/login '{"username": "dora", "password": "pass1234"}'
web_ok "web login"

# --- 2. a business card: GB2312 quoted-printable, three numbers, the second PREF
card "$VAR/zhang.vcf" 'BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:=D5=C5;=CE=B0\r\nFN;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:=D5=C5=CE=B0\r\nTEL;HOME:010-88886666\r\nTEL;CELL;PREF:13800138007\r\nTEL;WORK:+86 21 5555 0000\r\nUID:zw-e2e-1\r\nEND:VCARD\r\n'
got=$(e2e_phone --from $B --vcard "$VAR/zhang.vcf" --timeout 20000) || fail "card from an unbound phone: no reply"
grep -qF "This phone has no account. Send REG <user> <password>" <<<"$got" || fail "unbound card: $got"
[[ $(sql "SELECT count(*) FROM contacts") == 0 ]] || fail "an unbound phone's card was stored"
say "a card from an unbound phone: the registration hint, nothing stored"

got=$(e2e_phone --from $A --vcard "$VAR/zhang.vcf" --timeout 20000) || fail "card: no reply"
[[ $got == "Saved contact C1-C3 (current number C3) 张伟" ]] || fail "card reply: $got"
web GET /api/contacts
web_ok "contacts list"
# the page lists people (issue 10): one person with the card's three numbers
[[ $(json '.items | length') == 1 ]] || fail "web: want 1 person: $(cat "$VAR/resp")"
[[ $(json '.items[0].numbers | length') == 3 ]] || fail "web: want 3 numbers: $(cat "$VAR/resp")"
[[ $(json '[.items[0].numbers[] | select(.current)] | length') == 1 ]] || fail "web: one current number: $(cat "$VAR/resp")"
[[ $(json '.items[0].numbers[] | select(.current) | "\(.n) \(.name) \(.number) \(.types)"') == "3 张伟 13800138007 CELL,PREF" ]] ||
    fail "web: the current number is not the PREF one: $(cat "$VAR/resp")"
[[ $(json '.items[0].numbers[] | select(.n == 1) | "\(.number) \(.types) \(.current)"') == "010-88886666 HOME false" ]] ||
    fail "web: C1: $(cat "$VAR/resp")"
card_len=$(wc -c <"$VAR/zhang.vcf")
[[ $(sql "SELECT sum(size_bytes) FROM contacts") == $((3 * card_len)) ]] || fail "space: a row per number, the card's octets each"
[[ $(sql "SELECT count(DISTINCT uploaded_at) || ' ' || min(uid) FROM contacts") == "1 zw-e2e-1" ]] || fail "one upload, its UID kept"
say "a business card from a bound phone: three contacts, the PREF one current, on the web API"

# a long card, concatenated by the phone with a 16-bit reference
note=$(printf 'A long note on the card. %.0s' {1..30})
card "$VAR/long.vcf" "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Long Card\r\nTEL;CELL:13900000009\r\nNOTE:$note\r\nEND:VCARD\r\n"
long_len=$(wc -c <"$VAR/long.vcf")
((long_len > 5 * 128)) || fail "the long card fits fewer parts than meant ($long_len bytes)"
got=$(e2e_phone --from $A --vcard "$VAR/long.vcf" --vcard-ref16 --timeout 20000) || fail "long card: no reply"
[[ $got == "Saved contact C4 Long Card" ]] || fail "long card reply: $got"
[[ $(sql "SELECT octet_length(vcard) FROM contacts WHERE n = 4") == "$long_len" ]] || fail "the long card is not whole"
say "a $long_len-byte card in $(((long_len + 126) / 127)) parts (16-bit reference) re-assembled by bearerbox and stored whole"

# a broken card: a clear reply, nothing stored
card "$VAR/broken.vcf" 'BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=NO-SUCH-CHARSET:x\r\nTEL:13900000008\r\nEND:VCARD\r\n'
expect_card() {
    local got
    got=$(e2e_phone --from $A --vcard "$1" --timeout 20000) || fail "broken card: no reply"
    [[ $got == "$2" ]] || fail "broken card: $got"
}
expect_card "$VAR/broken.vcf" "This business card could not be read; nothing saved."
card "$VAR/cut.vcf" 'BEGIN:VCARD\r\nFN:Cut\r\nTEL:13900000007\r\n'
expect_card "$VAR/cut.vcf" "This business card could not be read; nothing saved."
[[ $(sql "SELECT count(*) FROM contacts") == 4 ]] || fail "a broken card stored something"
say "broken cards: a clear reply, nothing stored"

# a WAP push (port 2948) is not for us: ignored, nothing stored or charged
used=$(sql "SELECT used_bytes FROM users WHERE username = 'dora'")
[[ $(e2e_ctl MOBIN $A "$SV_SHORTCODE" 0605040b8423f0 0106246170706c69636174696f6e2f766e642e7761702e6d6d732d6d65737361676500) == "OK "* ]] ||
    fail "MOBIN refused"
deadline=$((SECONDS + 20))
until grep -q "core: binary-ignored msisdn=+\{0,1\}$A port=2948" "$VAR/log/vaultbox.log"; do
    ((SECONDS < deadline)) || fail "the WAP push was not seen by vaultbox"
    sleep 0.1
done
got=$(e2e_phone --from $A --timeout 20000 "SPACE" 2>"$VAR/space.err") || fail "SPACE: no reply"
grep -q "earlier" "$VAR/space.err" && fail "the WAP push was answered: $(cat "$VAR/space.err")"
[[ $(sql "SELECT used_bytes FROM users WHERE username = 'dora'") == "$used" ]] || fail "the WAP push was charged"
say "a WAP push to port 2948: ignored, unanswered, uncharged"

# --- 3. a text forwarded to the second short code: saved as it is, in LIST
fwd='Meet at 8, north gate —— 老李'
got=$(e2e_phone --from $A --to "$SV_FORWARD_SHORTCODE" --timeout 20000 "$fwd") || fail "forward: no reply"
[[ $got == "Saved as 1. "* ]] || fail "forward reply: $got"
[[ $(sql "SELECT body FROM sms WHERE n = 1") == "$fwd" ]] || fail "the forwarded text was not kept as it is"
got=$(e2e_phone --from $A --timeout 20000 "LIST") || fail "LIST: no reply"
grep -qF "1 " <<<"$got" && grep -qF "Meet at 8" <<<"$got" || fail "LIST lacks the forwarded text: $got"
say "a text forwarded to $SV_FORWARD_SHORTCODE is SMS 1, in LIST"

# --- 4. the same item by GET and by the web page: identical at the phone
long_sms=$(printf '长消息%.0s' {1..60})   # 180 characters of UCS-2: 3 parts
expect $A "SAVE $long_sms" "Saved as 2."
expect $A "CONTACT Wang Wu 13700000001" "Contact saved as C5: Wang Wu"   # a card of one segment
for item in "sms 2" "contacts 3" "contacts 4" "contacts 5"; do
    read -r kind n <<<"$item"
    cmd="GET $n"
    [[ $kind == contacts ]] && cmd="GET C$n"
    mo $A "$cmd"
    by_sms=$(e2e_wait_raw $A 30000) || fail "$cmd: nothing reached the phone"
    web POST /api/send "{\"kind\": \"$kind\", \"ns\": [$n]}"
    web_ok "send $kind $n"
    [[ $(json .queued) == 1 ]] || fail "send $kind $n: $(cat "$VAR/resp")"
    by_web=$(e2e_wait_raw $A 30000) || fail "send $kind $n: nothing reached the phone"
    same_mt "$by_sms" "$by_web" || fail "$cmd and the web's send differ:
  GET: ${by_sms:0:200}
  web: ${by_web:0:200}"
    read -r -a f <<<"$by_sms"
    case $kind in
    sms)
        [[ ${f[3]} == TEXT && ${f[4]} == "$(e2e_hex "$long_sms")" ]] || fail "SMS 2 is not byte-exact: ${by_sms:0:120}" ;;
    contacts)
        # 8-bit (data_coding 4) to port 9204, the card byte for byte; a card
        # over 133 octets split by bearerbox: 128 a part, its concatenation
        # IE after the port IE (part 1's UDH is what smscsim reports)
        want=$(sql "SELECT encode(convert_to(vcard, 'UTF8'), 'hex') FROM contacts WHERE n = $n")
        [[ ${f[3]} == BIN && ${f[4]} == 4 && ${f[6]} == "$want" ]] || fail "C$n is not the card as stored: ${by_sms:0:200}"
        bytes=$((${#want} / 2))
        if ((bytes <= 133)); then
            [[ ${f[5]} == 06050423f40000 ]] || fail "C$n: UDH ${f[5]}, want 06050423f40000 (port 9204)"
        else
            parts=$(printf '%02x' $(((bytes + 127) / 128)))
            [[ ${f[5]} == 0b050423f400000003??${parts}01 ]] ||
                fail "C$n: UDH ${f[5]}: want port 9204 and concatenation of $parts parts"
        fi
        ;;
    esac
    if [[ ${f[3]} == BIN ]]; then
        say "$cmd and the web's send of $kind $n: the same BIN dc=${f[4]} udh=${f[5]}, $((${#f[6]} / 2)) octets"
    else
        say "$cmd and the web's send of $kind $n: the same TEXT, $((${#f[4]} / 2)) octets of UTF-8"
    fi
done

# --- 5. deleted between the request and its sending: the phone is told
svc_vaultbox_stop "$VAR"
web POST /api/send '{"kind": "sms", "ns": [2]}'
web_ok "send SMS 2 while vaultbox is down"
web POST /api/sms/delete '{"ns": [2]}'
web_ok "delete SMS 2"
[[ $(json .deleted) == 1 ]] || fail "delete: $(cat "$VAR/resp")"
e2e_start vaultbox
got=$(e2e_wait_raw $A 30000) || fail "the phone was not told"
read -r -a f <<<"$got"
[[ ${f[3]} == TEXT && ${f[4]} == "$(e2e_hex "2 was deleted before it could be sent.")" ]] || fail "notice: $got"
[[ $(sql "SELECT state || ' ' || reason FROM outbox WHERE kind = 1 AND item_n = 2 ORDER BY id DESC LIMIT 1") == \
   "4 the item was deleted before it was sent" ]] || fail "the request is not failed with its reason"
say "an item deleted before it was sent: the phone is told, the request failed"

e2e_pass
