#!/bin/bash
# archive_test — vaultctl export / import of a user's whole archive (issue
# 13), with the page's own formats (archive/): alice's archive comes in from
# files (three SMS, an MMS with its SMIL layout, a text and a binary PNG
# part and its addresses, two cards, one of two numbers), is exported, and
# imported into a new user bob; bob then holds the same items, byte for
# byte — the formats are lossless (issue 10): SMS peer, date to the ms,
# body, direction, date_sent and every field as written; MMS peer, date,
# subject, text, box and fields, each part (the SMIL one too) with its
# type, name, ids and bytes, each address in order with its type; contacts'
# name, number, types, UID and card, and each person's numbers in upload
# order (the current one last). A card is one contact imported and one
# exported (a person), however many numbers. Importing again adds nothing;
# the files are private (0600); a malformed file stores nothing and says
# where; fsck is clean.
# Usage: archive_test.sh /path/to/vaultctl
set -u
VAULTCTL=$1
. "$(dirname "$0")/lib.sh"
store_suite_db archive

"$VAULTCTL" migrate >/dev/null || { echo "FAIL: migrate"; exit 1; }
for u in alice bob; do
    echo "correct horse $u" | "$VAULTCTL" user add $u >/dev/null || { echo "FAIL: user add $u"; exit 1; }
done
archive_fixture "$tmp"
out=$("$VAULTCTL" import alice "$tmp/in.xml" 2>&1); check "import the fixture" 0 $?
contains "fixture: SMS and MMS" "$out" "added 4 (sms 3, mms 1, contacts 0)"
contains "fixture: a card counts once, a row per number" "$out" "added 2 (sms 0, mms 0, contacts 2)"
archive_digest "$uri" alice >"$tmp/alice"
contains "alice holds the PNG's bytes" "$(cat "$tmp/alice")" "$(md5sum <"$tmp/png" | cut -d' ' -f1) $(stat -c %s "$tmp/png")"
contains "alice's counts" "$(cat "$tmp/alice")" "counts sms 3 mms 1 parts 3 contacts 3"
contains "alice's person of two numbers, the PREF one last" "$(cat "$tmp/alice")" \
    "person 李娜 +8613700000002, 李娜 +8613700000003"
contains "alice's MMS addresses in order" "$(cat "$tmp/alice")" "addr +8613900139000 1 insert-address-token 151"

# ---- export alice, import into bob
out=$("$VAULTCTL" export alice "$tmp/alice.xml" 2>&1); check "export" 0 $?
echo "$out"
contains "export counts" "$out" "sms 3, mms 1 to $tmp/alice.xml"
contains "export counts contacts (people)" "$out" "contacts 2 to $tmp/alice.xml.vcf"
[ "$(stat -c %a "$tmp/alice.xml")" = 600 ] && [ "$(stat -c %a "$tmp/alice.xml.vcf")" = 600 ] &&
    echo "ok: the exported files are 0600" || { echo "FAIL: modes $(stat -c %a "$tmp"/alice.xml*)"; fails=$((fails + 1)); }
[ -z "$(ls "$tmp" | grep '\.tmp$')" ] && echo "ok: no temporary file left" ||
    { echo "FAIL: left: $(ls "$tmp")"; fails=$((fails + 1)); }
[ "$(grep -c '<sms ' "$tmp/alice.xml")" = 3 ] && [ "$(grep -c '<mms ' "$tmp/alice.xml")" = 1 ] &&
    [ "$(grep -c 'BEGIN:VCARD' "$tmp/alice.xml.vcf")" = 2 ] &&
    echo "ok: one document of 3 sms and 1 mms, 2 cards (a card of two numbers written once)" ||
    { echo "FAIL: exported files: $(head -c 2000 "$tmp/alice.xml")"; fails=$((fails + 1)); }
out=$("$VAULTCTL" import bob "$tmp/alice.xml" 2>&1); check "import into bob" 0 $?
echo "$out"
contains "bob: SMS and MMS" "$out" "added 4 (sms 3, mms 1, contacts 0), duplicates 0, skipped 0"
contains "bob: contacts" "$out" "added 2 (sms 0, mms 0, contacts 2), duplicates 0, skipped 0"
archive_digest "$uri" bob >"$tmp/bob"
if diff "$tmp/alice" "$tmp/bob" >"$tmp/diff"; then
    echo "ok: bob holds alice's items byte for byte ($(tail -1 "$tmp/bob"))"
else
    echo "FAIL: bob differs from alice:"; cat "$tmp/diff"; fails=$((fails + 1))
fi
# exported again from bob, the same cards byte for byte (in the other order:
# the import numbers them in the file's order, the export is newest first)
cards() {   # cards FILE — the MD5 of each card of FILE, sorted
    local d; d=$(mktemp -d -p "$tmp")
    awk -v d="$d" 'BEGIN { RS = "END:VCARD\r\n" } NF { f = d "/" (++n); printf "%sEND:VCARD\r\n", $0 > f; close(f) }' "$1"
    md5sum "$d"/* | cut -d' ' -f1 | sort
}
out=$("$VAULTCTL" export bob "$tmp/bob.xml" 2>&1); check "export bob" 0 $?
[ "$(cards "$tmp/alice.xml.vcf")" = "$(cards "$tmp/bob.xml.vcf")" ] && [ -s "$tmp/bob.xml.vcf" ] &&
    echo "ok: bob's cards export byte for byte as alice's" ||
    { echo "FAIL: the cards differ"; diff "$tmp/alice.xml.vcf" "$tmp/bob.xml.vcf" | head; fails=$((fails + 1)); }

# ---- again: nothing added; broken and missing files
out=$("$VAULTCTL" import bob "$tmp/alice.xml" 2>&1); check "import again" 0 $?
contains "again: SMS and MMS are duplicates" "$out" "added 0 (sms 0, mms 0, contacts 0), duplicates 4"
archive_digest "$uri" bob | diff -q - "$tmp/bob" >/dev/null && echo "ok: import again changed nothing" ||
    { echo "FAIL: import again changed bob"; fails=$((fails + 1)); }
printf '<smses count="1">\n  <sms address="1" body="x"\n' >"$tmp/broken.xml"
out=$("$VAULTCTL" import bob "$tmp/broken.xml" 2>&1); check "a broken file is refused" 1 $?
contains "says where" "$out" "line"
out=$("$VAULTCTL" import nobody "$tmp/alice.xml" 2>&1); check "an unknown user" 1 $?
contains "names the user" "$out" "no user nobody"
out=$("$VAULTCTL" import bob "$tmp/none.xml" 2>&1); check "a missing file" 1 $?
out=$("$VAULTCTL" export bob 2>&1); check "export without a file" 2 $?

# ---- an archive of many pages: the export streams a page at a time, and
# the file is whole (its count first, every SMS once, newest first) and
# reads back into another user the same
for u in carol dave; do
    echo "correct horse $u" | "$VAULTCTL" user add $u >/dev/null || { echo "FAIL: user add $u"; exit 1; }
done
{
    echo "<smses count=\"1234\">"
    for (( i = 0; i < 1234; i++ )); do
        printf '  <sms address="+86138%08d" date="%d" type="%d" body="page test %d &amp; &lt;more&gt;" />\n' \
            "$i" $(( 1600000000000 + i * 60000 )) $(( i % 2 + 1 )) "$i"
    done
    echo "</smses>"
} >"$tmp/many.xml"
out=$("$VAULTCTL" import carol "$tmp/many.xml" 2>&1); check "import 1234 SMS" 0 $?
out=$("$VAULTCTL" export carol "$tmp/carol.xml" 2>&1); check "export 1234 SMS" 0 $?
contains "export counts them all" "$out" "sms 1234, mms 0 to $tmp/carol.xml"
dates=$(sed -n 's/^  <sms [^>]* date="\([0-9]*\)".*/\1/p' "$tmp/carol.xml")
[ "$(head -c 200 "$tmp/carol.xml" | grep -c '<smses count="1234" ')" = 1 ] &&
    [ "$(grep -c '^  <sms ' "$tmp/carol.xml")" = 1234 ] && [ "$(tail -n 1 "$tmp/carol.xml")" = "</smses>" ] &&
    [ "$dates" = "$(sort -rn <<<"$dates" | uniq)" ] &&
    echo "ok: the streamed file says 1234, holds 1234 once each, newest first" ||
    { echo "FAIL: the export of many pages: $(head -c 300 "$tmp/carol.xml")"; fails=$((fails + 1)); }
out=$("$VAULTCTL" import dave "$tmp/carol.xml" 2>&1); check "import it into dave" 0 $?
contains "dave: all of them" "$out" "added 1234 (sms 1234, mms 0, contacts 0), duplicates 0"
out=$("$VAULTCTL" export dave "$tmp/dave.xml" 2>&1); check "export dave" 0 $?
# (in the other order: dave's numbers follow carol's file, newest first)
cmp -s <(sort "$tmp/carol.xml") <(sort "$tmp/dave.xml") && echo "ok: dave's export is carol's line for line" ||
    { echo "FAIL: dave's export differs from carol's"; diff "$tmp/carol.xml" "$tmp/dave.xml" | head; fails=$((fails + 1)); }
out=$("$VAULTCTL" export carol "$tmp/no/such/dir.xml" 2>&1); check "export into a missing directory" 1 $?
contains "says why" "$out" "cannot write"
[ ! -e "$tmp/no" ] && echo "ok: nothing left" || { echo "FAIL: left $tmp/no"; fails=$((fails + 1)); }

out=$("$VAULTCTL" fsck 2>&1); check "fsck clean after the imports" 0 $?

store_suite_end
