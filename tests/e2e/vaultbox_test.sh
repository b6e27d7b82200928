#!/usr/bin/env bash
# vaultbox_test.sh <build-dir> — smsvault end to end on the real stack:
# phonesim -> smscsim -SMPP-> bearerbox (conf/kannel.conf) -> vaultbox ->
# PostgreSQL, and the replies back. Registration, SAVE / LIST / GET byte-exact
# (Chinese, emoji, GSM extension), broken UTF-16 refused, a 400-character message sent as 3 parts,
# DEL, SPACE and its growth (small quota), contacts (command and vCard in, a
# port-9204 business card out),
# LOGIN from a second phone, wrong password, unbound phone; a deep LIST page
# after a delete vaultbox never saw, as one laid out afresh; the same MO UUID
# delivered twice applied once (vaultbox dies between commit and ack; its
# reply, handed over in memory, requeued by the next one's sweep); a
# rolled-back batch's handed-over reply never sent
# (SMSVAULT_TEST_ROLLBACK_BATCH); a commit whose answer was lost applied
# once and answered once (SMSVAULT_TEST_LOSE_COMMIT); a reply whose claim
# lost its answer still sent (SMSVAULT_TEST_LOSE_CLAIM); and
# vaultbox killed -9 in the middle of 500 SAVEs from 50 phones, after which
# every SAVE is stored exactly once and every phone got every reply.
#
# Needs the test cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN; fails
# without it); creates and drops a database of its own there. Everything on
# free loopback ports in a temp dir; the teardown of tests/e2e/lib.sh stops
# what it started, prints logs on failure and fails on ERROR/PANIC in our
# own logs.
set -euo pipefail

BUILD=$(cd "${1:?usage: vaultbox_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
loop_pids=()

source "$ROOT/tests/e2e/lib.sh"
e2e_begin vb-e2e
e2e_ports
e2e_db vb_e2e
# small quota so that growth shows within a few messages (patent step 2)
e2e_conf "[quota]
initial = 3K
threshold = 1K
step = 8K"

fail() { e2e_fail "$@"; }

sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }
phone() { e2e_phone "$@"; }

expect() { e2e_expect "$@"; }              # <msisdn> <text> <reply part>
expect_exact() { e2e_expect_exact "$@"; }  # <msisdn> <command> <text>

e2e_start smscsim
e2e_start bearerbox
e2e_start vaultbox

A=8613800000001 B=8613800000002 C=8613800000003 D=8613800000004

# --- unbound phone, registration
expect $A "SAVE before registering" "REG <user> <password>"
expect $A "REG alice pass1234" "Welcome alice!"
expect $B "REG alice otherpass9" "is taken"
[[ $(sql "SELECT count(*) FROM sms") == 0 ]] || fail "an unbound phone's SAVE was stored"

# --- save, list, get byte-exact
expect $A "SAVE 你好 🌏" "Saved as 1."
expect $A 'SAVE €[]{}~|^\@' "Saved as 2."
expect $A "保存 短信保险箱 😀👍" "已保存为 3"
expect $A "LIST" "1 "
expect $A "LIST" "你好 🌏"
expect_exact $A "GET 1" "你好 🌏"
expect_exact $A "GET 2" '€[]{}~|^\@'
expect_exact $A "下载 3" "短信保险箱 😀👍"

# --- broken UTF-16 from the SMSC (issue 11): a lone high surrogate, a lone
# low one and an odd octet count are answered "bad encoding", nothing stored
n_before=$(sql "SELECT count(*) FROM sms")
for bad in 0053004100560045D83D0041 00530041DC00 005300410056004500; do
    got=$(phone --from $A --timeout 20000 --ucs2-hex "$bad") || fail "UCS-2 $bad: no reply"
    grep -qF "could not be read (bad encoding)" <<<"$got" || fail "UCS-2 $bad: got: $got"
done
[[ $(sql "SELECT count(*) FROM sms") == "$n_before" ]] || fail "a message with broken UTF-16 was stored"
echo "e2e: ok broken UTF-16 refused, nothing stored"

# --- a 400-character message goes in as 3 parts and comes back whole
long=$(printf 'Part%.0s' {1..99})1234
[[ ${#long} == 400 ]] || fail "test text is ${#long} chars"
expect $A "SAVE $long" "Saved as 4."
expect_exact $A "GET 4" "$long"

# --- delete, space and its growth
expect $A "DEL 1" "Deleted 1"
expect $A "GET 1" "Not found: 1"
expect $A "SPACE" "of 3 KB. SMS 3"
big=$(printf 'x%.0s' {1..900})
expect $A "SAVE $big" "Saved as 5."
expect $A "SAVE $big" "Your space grew to 11 KB"
expect $A "SPACE" "of 11 KB. SMS 5"
[[ $(sql "SELECT count(*) FROM users u WHERE used_bytes <> (SELECT coalesce(sum(size_bytes),0) FROM sms s WHERE s.user_id = u.id)") == 0 ]] \
    || fail "used_bytes differs from the sum of the items"

# --- contacts: command, vCard in, a business card (port 9204) out
expect $A "CONTACT Zhang San 13800138000" "Contact saved as C1: Zhang San"
card=$'BEGIN:VCARD\r\nVERSION:2.1\r\nN:Li;Lei\r\nTEL;CELL:13911112222\r\nEND:VCARD\r\n'
expect $A "$card" "Saved contact C2 Lei Li"
got=$(phone --from $A --timeout 20000 "GET C1") || fail "GET C1: no reply"
grep -q "^VCARD from=$SV_SHORTCODE bytes=[0-9]* name=Zhang San tel=13800138000\$" <<<"$got" ||
    fail "GET C1: not a business card: $got"
got=$(phone --from $A --hex --timeout 20000 "GET C2") || fail "GET C2: no reply"
[[ $got == "VCARD from=$SV_SHORTCODE bytes=${#card} hex=$(e2e_hex "$card")" ]] || fail "GET C2: not the card as sent: $got"
echo "e2e: ok contacts"

# --- login from a second phone, wrong password, unbound phone
expect $C "LOGIN alice wrongpass" "Wrong user name or password"
expect $B "LOGIN alice pass1234" "Logged in as alice"
expect_exact $B "GET 2" '€[]{}~|^\@'
expect $D "LIST" "REG <user> <password>"
expect $D "随便说点什么" "注册 用户名 密码"

# --- LANG is the account's choice: every reply, to every phone, English commands too
expect $B "LANG ZH" "以后所有回复都用中文"
expect $A "SPACE" "已用"
expect $A "LANG EN" "Replies are now in English"
expect $B "空间" "Used"
echo "e2e: ok LANG wins over the command's language"

# --- the same MO delivered twice is applied once: vaultbox dies after the
# commit and before the ack; bearerbox re-sends the MO with the same UUID.
# Its reply was handed over to the sender in memory (SENDING for the dead
# instance, never written): the vaultbox that comes next requeues it once
# the dead one's lease is gone (its orphan sweep) and sends it.
# restart_hooked <env>: vaultbox again with a test hook, once it hands replies over
restart_hooked() {
    local ons deadline=$((SECONDS + 20))
    ons=$(grep -c 'vaultbox: hand-over-on' "$VAR/log/vaultbox.log")
    svc_vaultbox_stop "$VAR"
    SV_VAULTBOX_ENV="$1" e2e_start vaultbox
    until (($(grep -c 'vaultbox: hand-over-on' "$VAR/log/vaultbox.log") > ons)); do
        ((SECONDS < deadline)) || fail "vaultbox did not start handing replies over"
        sleep 0.05
    done
}
restart_hooked "SMSVAULT_TEST_DIE_AFTER_COMMIT=1"
phone --from $A --timeout 40000 "SAVE applied once" >"$VAR/once.out" &
once_pid=$!
deadline=$((SECONDS + 20))
until ! kill -0 "$(cat "$VAR/run/vaultbox.pid")" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "the test hook did not end vaultbox"
    sleep 0.05
done
# (bearerbox writes the number with its +)
reply7="SELECT state FROM outbox WHERE right(msisdn, 11) = right('$A', 11) AND text LIKE 'Saved as 7.%'"
[[ $(sql "$reply7") == 1 ]] || fail "the reply was not handed over (SENDING at commit): $(sql "$reply7")"
e2e_start vaultbox
wait $once_pid || fail "no reply to the MO that was committed but not acked"
grep -q "Saved as 7." "$VAR/once.out" || fail "reply: $(cat "$VAR/once.out")"
[[ $(grep -c "Saved as 7." "$VAR/once.out") == 1 ]] || fail "the handed-over reply came twice: $(cat "$VAR/once.out")"
[[ $(sql "SELECT count(*) FROM sms WHERE body = 'applied once'") == 1 ]] || fail "re-delivered MO applied twice"
grep -q "vaultbox: mo-duplicate" "$VAR/log/vaultbox.log" || fail "bearerbox did not re-deliver the MO"
grep -q "store: outbox-orphans-requeued instances_gone=1 count=1" "$VAR/log/vaultbox.log" ||
    fail "the dead vaultbox's handed-over reply was not requeued by the sweep"
echo "e2e: ok re-delivered MO (same UUID) applied once, answered once (its handed-over reply requeued)"

# --- nothing handed over is sent unless it committed: the test hook rolls
# the first batch that handed a reply over back instead of committing it
# (it then runs again): the phone gets the reply once, of the batch that
# committed, not also the rolled-back one's
restart_hooked "SMSVAULT_TEST_ROLLBACK_BATCH=1"
phone --from $A --timeout 30000 "SAVE rolled back first" >"$VAR/rb.out" || fail "no reply after a rolled-back batch"
grep -q "vaultbox: test-hook batch rolled back" "$VAR/log/vaultbox.log" || fail "the test hook did not roll a batch back"
[[ $(grep -c "^Saved as" "$VAR/rb.out") == 1 ]] || fail "a rolled-back reply was sent: $(cat "$VAR/rb.out")"
grep -q "^Saved as 8\." "$VAR/rb.out" || fail "reply: $(cat "$VAR/rb.out")"
! e2e_wait_mt $A 1500 >/dev/null || fail "a second MT after the rolled-back batch"
[[ $(sql "SELECT count(*) FROM sms WHERE body = 'rolled back first'") == 1 ]] || fail "rolled-back SAVE stored $(sql "SELECT count(*) FROM sms WHERE body = 'rolled back first'") times"
echo "e2e: ok a rolled-back batch's handed-over reply never sent"

# --- a commit whose answer was lost (the test hook takes the first commit
# as failed): the batch runs again and finds its MO seen; the reply the
# committed attempt handed over was never given to the sender, and is
# requeued by id and sent once
restart_hooked "SMSVAULT_TEST_LOSE_COMMIT=1"
phone --from $A --timeout 30000 "SAVE commit answer lost" >"$VAR/lc.out" || fail "no reply after a lost commit answer"
grep -q "vaultbox: test-hook commit-answer-lost handed=1" "$VAR/log/vaultbox.log" || fail "the test hook did not lose a commit"
grep -q "store: outbox-requeued instance=.* count=1 why=handover-unsure" "$VAR/log/vaultbox.log" ||
    fail "the lost commit's handed-over reply was not requeued"
[[ $(grep -c "^Saved as" "$VAR/lc.out") == 1 ]] || fail "reply after a lost commit answer: $(cat "$VAR/lc.out")"
grep -q "^Saved as 9\." "$VAR/lc.out" || fail "reply: $(cat "$VAR/lc.out")"
[[ $(sql "SELECT count(*) FROM sms WHERE body = 'commit answer lost'") == 1 ]] || fail "a lost commit answer applied the MO twice"
echo "e2e: ok a commit whose answer was lost: applied once, its handed-over reply sent once"

# --- a claim whose answer was lost (the connection broke between its
# commit and its reply: a crash, a failover; the test hook takes the first
# claim that claimed rows as failed): the row, SENDING by this live vaultbox
# on the server, is still sent. Replies are handed over in memory, not
# claimed: the claimed row is one the page queued (as the web does) before
# vaultbox started
svc_vaultbox_stop "$VAR"
sql "INSERT INTO outbox (msisdn, text) VALUES ('$A', 'queued by the page')" >/dev/null
SV_VAULTBOX_ENV="SMSVAULT_TEST_LOSE_CLAIM=1" e2e_start vaultbox
got=$(e2e_wait_mt $A 30000) || fail "no MT when the claim's answer was lost (the row left SENDING)"
[[ $got == "queued by the page" ]] || fail "MT after the lost claim: $got"
grep -q "vaultbox: test-hook claim-answer-lost rows=1" "$VAR/log/vaultbox.log" || fail "the test hook did not lose a claim"
expect $A "SAVE claim answer lost" "Saved as 10."
svc_vaultbox_stop "$VAR"
e2e_start vaultbox
echo "e2e: ok a claim whose answer was lost: its row sent all the same"

# --- deep LIST pages: a worker remembers where they start, and a change it
# never saw (a delete on the web page, here straight in the database) makes
# it lay them out again: the page is the one a vaultbox just started (that
# remembers nothing) sends
E=8613800000005
expect $E "REG pager pass1234" "Welcome pager!"
sql "WITH u AS (UPDATE users SET next_sms = next_sms + 80, used_bytes = used_bytes + 80 * 20
                WHERE username = 'pager' RETURNING id, next_sms - 80 AS first)
     INSERT INTO sms (user_id, n, peer, body, size_bytes, source, type)
     SELECT u.id, u.first + g, '', 'bulk text number ' || lpad(g::text, 3, '0'), 20, 'sms', 1
     FROM u, generate_series(0, 79) g" >/dev/null
list_page() { phone --from $E --timeout 20000 "LIST $1" || fail "LIST $1: no reply"; }
list_page 5 >/dev/null
before=$(list_page 6)            # laid out on from page 5, remembered
grep -q "^More: LIST 7" <<<"$before" || fail "LIST 6 is no middle page: $before"
sql "WITH d AS (DELETE FROM sms WHERE user_id = (SELECT id FROM users WHERE username = 'pager') AND n = 70
                RETURNING user_id, size_bytes)
     UPDATE users u SET used_bytes = used_bytes - d.size_bytes FROM d WHERE u.id = d.user_id" >/dev/null
changed=$(list_page 6)
[[ $changed != "$before" ]] || fail "LIST 6 is the page from before the delete (a stale start): $changed"
svc_vaultbox_stop "$VAR"
e2e_start vaultbox
afresh=$(list_page 6)
[[ $changed == "$afresh" ]] || fail "LIST 6 after a delete differs from one laid out afresh: $changed / $afresh"
echo "e2e: ok a deep LIST page after a change the worker never saw is the page laid out afresh"

# --- kill -9 in the middle of 500 SAVEs from 50 phones
for i in $(seq 1 50); do
    phone --from $((8613900000000 + i)) --timeout 20000 "REG load$i pass1234" >/dev/null || fail "REG load$i"
done
for i in $(seq 1 50); do
    # a reply sent again after the kill (MT in flight is re-sent: at least
    # once) arrives before the awaited one: e2e_saves reads on
    e2e_saves $((8613900000000 + i)) load 1 10 &
    loop_pids+=($!)
    e2e_bg $!
done
deadline=$((SECONDS + 60))
until (($(sql "SELECT count(*) FROM sms WHERE body LIKE 'load %'") >= 100)); do
    ((SECONDS < deadline)) || fail "load did not start"
    sleep 0.05
done
kill -KILL "$(cat "$VAR/run/vaultbox.pid")"
rm -f "$VAR/run/vaultbox.pid"
echo "e2e: vaultbox killed -9 at $(sql "SELECT count(*) FROM sms WHERE body LIKE 'load %'") of 500 SAVEs"
e2e_start vaultbox
for p in "${loop_pids[@]}"; do
    wait "$p" || fail "a phone missed a reply after the kill -9"
done
loop_pids=()
n=$(sql "SELECT count(*) FROM sms WHERE body LIKE 'load %'")
d=$(sql "SELECT count(DISTINCT body) FROM sms WHERE body LIKE 'load %'")
[[ $n == 500 && $d == 500 ]] || fail "after kill -9: $n rows, $d distinct (want 500, 500)"
echo "e2e: ok kill -9 during 500 SAVEs from 50 phones: each stored once, every reply arrived"

e2e_pass
