# lib — what the vaultctl suites of tests/store share (sourced): their
# check lines and failure count, a fresh database of their own, a fixture
# archive in the page's own files, and a digest of a user's items that two
# archives must agree on.

. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

fails=0
check() {   # check "what" expected_status actual_status
    if [ "$2" != "$3" ]; then echo "FAIL: $1 (exit $3, expected $2)"; fails=$((fails + 1)); else echo "ok: $1"; fi
}
contains() {   # contains "what" "haystack" "needle"
    if grep -qF -- "$3" <<<"$2"; then echo "ok: $1"; else echo "FAIL: $1: no '$3' in: $2"; fails=$((fails + 1)); fi
}
# store_suite_end — the last lines of a suite: the count, and its status
store_suite_end() {
    echo "$fails failure(s)"
    [ $fails -eq 0 ]
}

# store_suite_db <name> — a fresh database smsvault_t_<name>_PID in the test
# cluster of ./smsvault test: sets db, uri and SMSVAULT_PGURI, and tmp (a
# temporary directory); both go at exit.
store_suite_db() {
    if [ -z "${SMSVAULT_TEST_PGADMIN:-}" ]; then
        echo "FAIL: SMSVAULT_TEST_PGADMIN is not set (this test needs PostgreSQL: run through ./smsvault test)"
        exit 1
    fi
    db="smsvault_t_$1_$$"
    uri=$(sv_pg_createdb "$SMSVAULT_TEST_PGADMIN" "$db") || { echo "FAIL: cannot create $db"; exit 1; }
    export SMSVAULT_PGURI="$uri"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"; sv_pg_dropdb "$SMSVAULT_TEST_PGADMIN" "$db"' EXIT
}

# archive_fixture DIR — DIR/in.xml (SMS Backup & Restore: three SMS, one of
# them Chinese with an emoji and markup, one of two lines; an MMS of a
# subject, a text part and a PNG part whose bytes include NUL and 0xFF) and
# DIR/in.xml.vcf (two cards, one of two numbers, PREF second). DIR/png is
# the PNG part's bytes.
archive_fixture() {
    local d=$1
    printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x01' >"$d/png"
    local b64
    b64=$(base64 -w0 "$d/png")
    cat >"$d/in.xml" <<XML
<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<smses count="4">
  <sms protocol="0" address="+8613800138000" date="1400000000123" type="1" subject="null" body="你好，世界 &#55357;&#56846; &amp; &lt;b&gt;" toa="null" read="1" />
  <sms protocol="0" address="+8613800138001" date="1400000100000" type="2" body="line1&#10;line2&#9;tab" />
  <sms protocol="0" address="10086" date="1400000200000" type="1" body="Your balance is 12.50" />
  <mms date="1500000000000" ct_t="application/vnd.wap.multipart.related" msg_box="1" address="+8613900139000" sub="照片" m_type="132">
    <parts>
      <part seq="0" ct="text/plain" name="null" chset="106" cl="text0.txt" text="看这个" />
      <part seq="1" ct="image/png" name="a.png" cl="a.png" data="$b64" />
    </parts>
  </mms>
</smses>
XML
    printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zhang Wei\r\nTEL;TYPE=CELL:+8613700000001\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:李娜\r\nTEL;TYPE=WORK:+8613700000002\r\nTEL;TYPE=CELL,PREF:+8613700000003\r\nEND:VCARD\r\n' >"$d/in.xml.vcf"
}

# archive_digest URI USER — one line per item, sorted, of what an archive
# must keep: SMS (peer, sent_at, body's MD5), MMS (peer, sent_at, subject,
# text, parts) and each part (content type, name, data's MD5), contacts
# (name, number, the card's MD5); then the counts.
archive_digest() {
    psql -X -qtA "$1" -v u="$2" <<'SQL'
SELECT 'sms ' || peer || ' ' || coalesce(extract(epoch FROM sent_at)::text, '-') || ' ' || md5(body)
  FROM sms WHERE user_id = (SELECT id FROM users WHERE username = :'u')
UNION ALL
SELECT 'mms ' || peer || ' ' || coalesce(extract(epoch FROM sent_at)::text, '-') || ' ' || subject || ' ' ||
       md5(text) || ' ' || nparts
  FROM mms WHERE user_id = (SELECT id FROM users WHERE username = :'u')
UNION ALL
SELECT 'part ' || m.peer || ' ' || p.content_type || ' ' || p.name || ' ' || md5(p.data) || ' ' || length(p.data)
  FROM mms_parts p JOIN mms m USING (user_id, n) WHERE p.user_id = (SELECT id FROM users WHERE username = :'u')
UNION ALL
SELECT 'contact ' || name || ' ' || number || ' ' || md5(vcard)
  FROM contacts WHERE user_id = (SELECT id FROM users WHERE username = :'u')
ORDER BY 1;
SELECT 'counts sms ' || (SELECT count(*) FROM sms s JOIN users u ON u.id = s.user_id WHERE u.username = :'u') ||
       ' mms ' || (SELECT count(*) FROM mms s JOIN users u ON u.id = s.user_id WHERE u.username = :'u') ||
       ' parts ' || (SELECT count(*) FROM mms_parts s JOIN users u ON u.id = s.user_id WHERE u.username = :'u') ||
       ' contacts ' || (SELECT count(*) FROM contacts s JOIN users u ON u.id = s.user_id WHERE u.username = :'u');
SQL
}
