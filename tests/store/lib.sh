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
# them Chinese with an emoji and markup, one of two lines, received and
# sent, dates to the ms, a device's own attribute; an MMS of a subject, its
# SMIL layout, a text part and a PNG part whose bytes include NUL and 0xFF,
# its From and To addresses) and DIR/in.xml.vcf (two cards, one of two
# numbers, PREF second, with a UID). DIR/png is the PNG part's bytes.
archive_fixture() {
    local d=$1
    printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x01' >"$d/png"
    local b64
    b64=$(base64 -w0 "$d/png")
    cat >"$d/in.xml" <<XML
<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<smses count="4">
  <sms protocol="0" address="+8613800138000" date="1400000000123" type="1" subject="null" body="你好，世界 &#55357;&#56846; &amp; &lt;b&gt;" toa="null" read="1" date_sent="1399999999456" sim_slot="1" />
  <sms protocol="0" address="+8613800138001" date="1400000100000" type="2" subject="null" body="line1&#10;line2&#9;tab" toa="null" read="1" />
  <sms protocol="0" address="10086" date="1400000200000" type="1" subject="null" body="Your balance is 12.50" toa="null" read="0" />
  <mms date="1500000000000" ct_t="application/vnd.wap.multipart.related" msg_box="1" address="+8613900139000" sub="照片" m_type="132">
    <parts>
      <part seq="-1" ct="application/smil" name="smil.xml" chset="106" cid="&lt;smil&gt;" cl="smil.xml" text="&lt;smil&gt;&lt;body&gt;&lt;par&gt;&lt;img src=&quot;a.png&quot;/&gt;&lt;text src=&quot;text0.txt&quot;/&gt;&lt;/par&gt;&lt;/body&gt;&lt;/smil&gt;" />
      <part seq="0" ct="text/plain" name="null" chset="106" cl="text0.txt" text="看这个" />
      <part seq="1" ct="image/png" name="a.png" chset="null" cid="&lt;a&gt;" cl="a.png" data="$b64" />
    </parts>
    <addrs>
      <addr address="+8613900139000" type="137" charset="106" />
      <addr address="insert-address-token" type="151" charset="106" />
    </addrs>
  </mms>
</smses>
XML
    printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zhang Wei\r\nTEL;TYPE=CELL:+8613700000001\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:李娜\r\nTEL;TYPE=WORK:+8613700000002\r\nTEL;TYPE=CELL,PREF:+8613700000003\r\nUID:li-na-1\r\nEND:VCARD\r\n' >"$d/in.xml.vcf"
}

# archive_digest URI USER — one line per item, sorted, of what an archive
# must keep: SMS (peer, sent_at to the ms, body's MD5, direction, date_sent,
# the fields archive_fixture gives as written, a device's own attributes),
# MMS (peer, sent_at, subject, text, parts, msg_box, the fields the fixture
# gives), each part (its place, content type, name, data's MD5, the app's
# seq, chset, content id and location), each address of an MMS in order
# with its type and charset, contacts (name, number, types, UID, the card's
# MD5) and each person's numbers in upload order, the current one last;
# then the counts. The published fields a file leaves out are not compared:
# an export writes them as the app does (tests/web/web_roundtrip checks
# those bytes).
archive_digest() {
    psql -X -qtA "$1" -v u="$2" <<'SQL'
SELECT 'sms ' || peer || ' ' || coalesce((extract(epoch FROM sent_at) * 1000)::bigint::text, '-') || ' ' || md5(body)
       || ' ' || concat_ws(' ', type, (extract(epoch FROM date_sent) * 1000)::bigint, protocol, subject, toa, read,
                           extra_names::text, extra_values::text)
  FROM sms s WHERE user_id = (SELECT id FROM users WHERE username = :'u')
UNION ALL
SELECT 'mms ' || peer || ' ' || coalesce((extract(epoch FROM sent_at) * 1000)::bigint::text, '-') || ' ' || subject
       || ' ' || md5(text) || ' ' || nparts || ' ' || concat_ws(' ', msg_box, m_type, ct_t)
  FROM mms m WHERE user_id = (SELECT id FROM users WHERE username = :'u')
UNION ALL
SELECT 'part ' || m.peer || ' ' || p.seq || ' ' || p.content_type || ' ' || p.name || ' ' || md5(p.data) || ' '
       || length(p.data) || ' ' || concat_ws(' ', p.xml_seq, p.chset, p.content_id, p.content_location)
  FROM mms_parts p JOIN mms m USING (user_id, n) WHERE p.user_id = (SELECT id FROM users WHERE username = :'u')
UNION ALL
SELECT 'addr ' || m.peer || ' ' || a.seq || ' ' || a.address || ' ' || coalesce(a.type::text, '-') || ' '
       || coalesce(a.charset, '-')
  FROM mms_addrs a JOIN mms m USING (user_id, n) WHERE a.user_id = (SELECT id FROM users WHERE username = :'u')
UNION ALL
SELECT 'contact ' || name || ' ' || number || ' ' || tel_types || ' ' || uid || ' ' || md5(vcard)
  FROM contacts WHERE user_id = (SELECT id FROM users WHERE username = :'u')
UNION ALL
SELECT 'person ' || string_agg(name || ' ' || number, ', ' ORDER BY n)
  FROM contacts WHERE user_id = (SELECT id FROM users WHERE username = :'u') GROUP BY contact_person(uid, name)
ORDER BY 1;
SELECT 'counts sms ' || (SELECT count(*) FROM sms s JOIN users u ON u.id = s.user_id WHERE u.username = :'u') ||
       ' mms ' || (SELECT count(*) FROM mms s JOIN users u ON u.id = s.user_id WHERE u.username = :'u') ||
       ' parts ' || (SELECT count(*) FROM mms_parts s JOIN users u ON u.id = s.user_id WHERE u.username = :'u') ||
       ' contacts ' || (SELECT count(*) FROM contacts s JOIN users u ON u.id = s.user_id WHERE u.username = :'u');
SQL
}
