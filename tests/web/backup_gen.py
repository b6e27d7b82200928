#!/usr/bin/env python3
"""backup_gen — archive files written by a program that is not smsvault, and
their canonical form, for the round-trip tests (tests/web/roundtrip.test.mjs).

  backup_gen.py gen xml|csv|vcard SEED OUT   write a file
  backup_gen.py canon xml|csv FILE...        print the canonical JSON of the
                                             files' items, taken together

The XML is SMS Backup & Restore's, written from its published field lists —
SyncTech's "Fields in XML Backup files"
(https://synctech.com.au/sms-backup-restore/fields-in-xml-backup-files/) and
the XSD it references, as transcribed in /work/shared/reference/
backup-formats.md §4.3 — the way the app writes it: every field of <sms>
and <mms> as an attribute, "null" for absent, dates in milliseconds, the
MMS's parts (the SMIL layout first, seq -1) and addresses (PduHeaders 137
From, 151 To, 130 Cc, 129 Bcc), characters outside the BMP as
surrogate-pair references (&#55357;&#56832;), and a few device-specific
attributes (Samsung's sim_slot, favorite...). The CSV uses the column names
smsvault's importer documents (web/import_csv.h), in an order and with
spellings of its own. Only the Python standard library; nothing here comes
from smsvault's exporter.

The canonical form of a set of files is their items sorted, each as every
attribute it carries. Equal forms are equal archives. What it leaves aside
is only what the formats themselves say is one thing: the order of items
and attributes, a Content-ID with or without its <>, a part's bytes written
as text or as base64, and for CSV a time written as epoch milliseconds or
ISO 8601 and the item numbers (n) an archive gave.
"""
import base64
import calendar
import csv
import hashlib
import io
import json
import quopri
import random
import re
import struct
import sys
import time
import xml.etree.ElementTree as ET
import zlib

BASE_MS = 1714550400000  # 2024-05-01T08:00:00Z

PEERS = ["+8613800138000", "10086", "+15551234567", "95588", "+86 139 0013 9000", "+8613700137000",
         "106575258888", "+447700900123"]
NAMES = ["张三", "Li Lei", "(Unknown)", "王小明", "Dr. O'Brien & \"Sons\"", "(Unknown)"]
BODIES = [
    "你好！明天下午三点开会 \U0001F600",
    "生日快乐 \U0001F382 happy birthday",
    "您的话费余额为 23.50 元，请及时充值。【中国移动】",
    "See you at the station at 8",
    "<b>bold?</b> & \"quotes\" 'single' > less <",
    "line one\nline two\n\tindented after a tab",
    "  spaces around  ",
    "null",
    "验证码 482913，5分钟内有效。",
    "\U0001F468\u200D\U0001F469\u200D\U0001F467 family \U0001F1E8\U0001F1F3 flag",
    "Long: " + "这是一条很长的短信，" * 30,
    "a\r\nb with CRLF",
    "emoji only \U0001F44D\U0001F3FD",
    "100% sure, 50_50 chance \\ backslash",
]


def esc(s):
    """An attribute value as the app writes it: XML escapes, controls as
    references, characters outside the BMP as two surrogate references."""
    out = []
    for ch in s:
        c = ord(ch)
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == '"':
            out.append("&quot;")
        elif ch in "\n\r\t":
            out.append("&#%d;" % c)
        elif c > 0xFFFF:
            c -= 0x10000
            out.append("&#%d;&#%d;" % (0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF)))
        else:
            out.append(ch)
    return "".join(out)


def element(name, attrs, close=True):
    body = " ".join('%s="%s"' % (k, esc(str(v))) for k, v in attrs)
    return "<%s %s%s>" % (name, body, " /" if close else "")


def readable(ms):
    return time.strftime("%b %-d, %Y %-I:%M:%S %p", time.gmtime(ms // 1000))


def png(w, h, rnd):
    raw = b"".join(b"\0" + bytes(rnd.randrange(256) for _ in range(w * 3)) for _ in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def gen_sms(rnd, i):
    date = BASE_MS + i * 37000 + (rnd.randrange(1000) if i % 3 else 0)
    t = rnd.choice([1, 1, 1, 2, 2, 3, 4, 5, 6])
    received = t == 1
    a = [("protocol", "0"), ("address", rnd.choice(PEERS)), ("date", date), ("type", t),
         ("subject", "null"), ("body", BODIES[i % len(BODIES)] + (" #%d" % i if i >= len(BODIES) else "")),
         ("toa", rnd.choice(["null", "null", "145", "0"])), ("sc_toa", rnd.choice(["null", "0"])),
         ("service_center", "+8613800100500" if received else "null"), ("read", rnd.choice(["1", "1", "0"])),
         ("status", "-1" if received else rnd.choice(["-1", "0", "32", "64"])), ("locked", rnd.choice(["0", "0", "1"])),
         ("date_sent", date - rnd.randrange(1, 90000) if received else 0)]
    if i % 2:
        a.append(("sub_id", rnd.choice(["1", "2", "-1"])))
    a += [("readable_date", readable(date)), ("contact_name", rnd.choice(NAMES))]
    if i % 5 == 0:  # a Samsung's own attributes
        a += [("sim_slot", str(i % 2)), ("favorite", "0"), ("spam_report", "0")]
    return element("sms", a)


def gen_mms(rnd, j, own):
    date = BASE_MS + 500000000 + j * 61000 + rnd.randrange(1000)
    box = 1 if j % 2 == 0 else 2
    peer = rnd.choice(PEERS[:4])
    sub = ["旅行照片 \U0001F3DE", "null", "Re: the plan", "周末 & 假期 <3"][j % 4]
    text = ["看，西湖 \U0001F60F", "Photo attached.\nSee you!", "这是文字部分", "x"][j % 4]
    image = png(12 + j, 8, rnd)
    audio = bytes(rnd.randrange(256) for _ in range(300)) + b"\0\0\xff"
    smil = ('<smil><head><layout><root-layout/><region id="Image" top="0" left="0" height="50%%" width="100%%"/>'
            '<region id="Text" top="50%%" left="0" height="50%%" width="100%%"/></layout></head><body><par dur="5000ms">'
            '<img src="cid:image_%d" region="Image"/><text src="cid:text_%d" region="Text"/></par></body></smil>' % (j, j))
    m = [("date", date), ("ct_t", "application/vnd.wap.multipart.related"), ("msg_box", box), ("address", peer),
         ("sub", sub), ("sub_cs", "106" if sub != "null" else "null"), ("retr_st", "null"), ("d_tm", "null"),
         ("exp", "604800" if box == 2 else "null"), ("locked", "0"), ("m_id", "MMS%08d@mmsc.example" % j),
         ("retr_txt", "null"), ("date_sent", date // 1000 * 1000 - 3000 if box == 1 else 0), ("read", "1"),
         ("rpt_a", "null"), ("ct_cls", "null"), ("pri", "129"), ("resp_txt", "null"), ("d_rpt", "129"),
         ("m_type", 132 if box == 1 else 128), ("rr", "129"), ("read_status", "null"),
         ("resp_st", "null" if box == 1 else "128"), ("ct_l", "http://mmsc.example/m/%d" % j if box == 1 else "null"),
         ("st", "null"), ("retr_txt_cs", "null"), ("tr_id", "T%x" % (0xABC000 + j)), ("m_cls", "personal"),
         ("v", "18"), ("m_size", str(len(image) + len(text.encode()))), ("text_only", "0"), ("seen", "1"),
         ("readable_date", readable(date)), ("contact_name", rnd.choice(NAMES))]
    if j % 2:
        m += [("sim_slot", "1"), ("favorite", "0")]
    parts = [
        [("seq", -1), ("ct", "application/smil"), ("name", "null"), ("chset", "null"), ("cd", "null"), ("fn", "null"),
         ("cid", "<smil>"), ("cl", "smil.xml"), ("ctt_s", "null"), ("ctt_t", "null"), ("text", smil)],
        [("seq", 0), ("ct", "image/png"), ("name", "lake%d.png" % j), ("chset", "null"), ("cd", "null"),
         ("fn", "null"), ("cid", "<image_%d>" % j), ("cl", "lake%d.png" % j), ("ctt_s", "null"), ("ctt_t", "null"),
         ("text", "null"), ("data", base64.b64encode(image).decode())],
        [("seq", 0), ("ct", "text/plain"), ("name", "null"), ("chset", "106"), ("cd", "null"), ("fn", "null"),
         ("cid", "<text_%d>" % j), ("cl", "text_%d.txt" % j), ("ctt_s", "null"), ("ctt_t", "null"), ("text", text)],
    ]
    if j % 3 == 1:
        parts.append([("seq", 0), ("ct", "audio/amr"), ("name", "voice.amr"), ("chset", "null"), ("cd", "null"),
                      ("fn", "voice.amr"), ("cid", "<voice>"), ("cl", "voice.amr"), ("ctt_s", "null"),
                      ("ctt_t", "null"), ("text", "null"), ("data", base64.b64encode(audio).decode())])
    if box == 1:
        addrs = [(peer, 137), (own, 151)]
    else:
        addrs = [("insert-address-token", 137), (peer, 151), ("+8613900000099", 130), ("+8613900000098", 129)]
    out = ["  " + element("mms", m, close=False), "    <parts>"]
    out += ["      " + element("part", p) for p in parts]
    out.append("    </parts>")
    out.append("    <addrs>")
    out += ["      " + element("addr", [("address", a), ("type", t), ("charset", 106)]) for a, t in addrs]
    out += ["    </addrs>", "  </mms>"]
    return "\n".join(out)


def gen_xml(seed, nsms=120, nmms=6):
    rnd = random.Random(seed)
    items = ["  " + gen_sms(rnd, i) for i in range(nsms)] + [gen_mms(rnd, j, "+8613812345678") for j in range(nmms)]
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
            "<!--File Created By SMS Backup & Restore v10.18.110 on 01/05/2024 16:00:00-->\n"
            '<smses count="%d" backup_set="0b7c-gen" backup_date="%d" type="full">\n' % (nsms + nmms, BASE_MS)
            + "\n".join(items) + "\n</smses>\n")


def gen_csv(seed, n=60):
    """SMS as a spreadsheet might hold them: our importer's column names, in
    another order, the direction as the app's number or a word, dates as
    epoch milliseconds or ISO 8601."""
    rnd = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["body", "Address", "direction", "date", "date_sent", "read", "status", "locked", "protocol",
                "service_center", "sub_id", "contact_name"])
    for i in range(n):
        date = BASE_MS + 900000000 + i * 53000 + (rnd.randrange(1, 1000) if i % 2 else 0)
        t = rnd.choice([1, 2, 2, 3, 5])
        d = str(date) if i % 3 else time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(date // 1000)) + \
            (".%03dZ" % (date % 1000) if date % 1000 else "Z")
        direction = {1: "received", 2: "sent"}.get(t) if i % 2 else str(t)
        w.writerow([BODIES[i % len(BODIES)] + " ·%d" % i, rnd.choice(PEERS), direction or str(t), d,
                    str(date - 5000) if t == 1 else "", rnd.choice(["0", "1"]),
                    "-1", "0", "0", "+8613800100500" if t == 1 else "", rnd.choice(["", "1"]), rnd.choice(NAMES)])
    return out.getvalue()


def gen_vcard(seed, n=12):
    """vCards as phones write them: 2.1 and 3.0, several numbers with TYPE
    parameters, PREF, UID on some, quoted-printable names."""
    rnd = random.Random(seed)
    cards = []
    for i in range(n):
        v3 = i % 2 == 0
        name = ["张三", "Li Lei", "王小明", "Anne-Marie O'Neil", "李四", "Zhao Liu"][i % 6] + ("" if i < 6 else " %d" % i)
        tels = [("CELL", "+86138%08d" % (i * 7919 % 10**8)), ("HOME", "010-%07d" % (i * 104729 % 10**7))]
        if i % 3 == 0:
            tels.append(("WORK", "+86 21 %04d %04d" % (i, i * 3)))
        pref = rnd.randrange(len(tels))
        lines = ["BEGIN:VCARD", "VERSION:%s" % ("3.0" if v3 else "2.1")]
        if v3:
            lines += ["N:%s;;;;" % name, "FN:%s" % name]
            if i % 4 == 0:
                lines.append("UID:urn:uuid:00000000-0000-4000-8000-%012d" % i)
            for k, (t, num) in enumerate(tels):
                lines.append("TEL;TYPE=%s%s:%s" % (t, ",PREF" if k == pref else "", num))
        else:
            qp = "".join("=%02X" % b for b in name.encode())
            lines += ["N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:%s;;;;" % qp,
                      "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:%s" % qp]
            for k, (t, num) in enumerate(tels):
                lines.append("TEL;%s%s:%s" % (t, ";PREF" if k == pref else "", num))
        lines.append("END:VCARD")
        cards.append("\r\n".join(lines) + "\r\n")
    return "".join(cards)


# ---- canonical forms ----

SURROGATES = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);&#(x[0-9a-fA-F]+|[0-9]+);")


def fix_surrogates(text):
    """The app's surrogate pairs as the character they stand for (expat, like
    every strict parser, refuses a reference to a surrogate)."""
    def num(s):
        return int(s[1:], 16) if s[0] in "xX" else int(s)

    def one(m):
        hi, lo = num(m.group(1)), num(m.group(2))
        if 0xD800 <= hi <= 0xDBFF and 0xDC00 <= lo <= 0xDFFF:
            return "&#%d;" % (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
        return m.group(0)

    return SURROGATES.sub(one, text)


def part_bytes(attrs):
    data = attrs.pop("data", None)
    text = attrs.pop("text", None)
    if data not in (None, "null"):
        return base64.b64decode(data)
    if text not in (None, "null"):
        return text.encode("utf-8")
    return b""


def canon_xml(files):
    sms, mms = [], []
    for f in files:
        root = ET.fromstring(fix_surrogates(open(f, encoding="utf-8").read()))
        for e in root:
            a = dict(e.attrib)
            if e.tag == "sms":
                sms.append(a)
            elif e.tag == "mms":
                parts = []
                for p in e.iter("part"):
                    pa = dict(p.attrib)
                    b = part_bytes(pa)
                    cid = pa.get("cid", "null")
                    if cid.startswith("<") and cid.endswith(">"):
                        pa["cid"] = cid[1:-1]
                    pa["bytes"] = "%d:%s" % (len(b), hashlib.sha256(b).hexdigest())
                    parts.append(pa)
                a["parts"] = parts
                a["addrs"] = [dict(x.attrib) for x in e.iter("addr")]
                mms.append(a)
    key = lambda a: (int(a.get("date", 0)) if a.get("date", "").isdigit() else 0, a.get("address", ""),
                     a.get("type", a.get("msg_box", "")), a.get("body", a.get("sub", "")))
    return {"sms": sorted(sms, key=key), "mms": sorted(mms, key=key)}


CSV_ALIASES = {"address": "peer", "direction": "type"}
CSV_TYPES = {"received": "1", "sent": "2", "draft": "3", "outbox": "4", "failed": "5", "queued": "6"}


def csv_ms(v):
    if v == "":
        return None
    if v.isdigit():
        return int(v) if int(v) > 10**11 else int(v) * 1000
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,3}))?Z", v)
    if not m:
        raise ValueError("not a time: %r" % v)
    t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return t * 1000 + int((m.group(2) or "0").ljust(3, "0"))


def canon_csv(files):
    rows = []
    for f in files:
        with open(f, encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                c = {}
                for k, v in r.items():
                    k = CSV_ALIASES.get(k.lower(), k.lower())
                    if k == "n":
                        continue
                    if k in ("date", "date_sent"):
                        v = csv_ms(v)
                        v = None if v == 0 else v
                    elif k == "type":
                        v = CSV_TYPES.get(v, v)
                    c[k] = None if v == "" else v
                rows.append(c)
    keys = sorted({k for r in rows for k in r})
    rows = [{k: r.get(k) for k in keys} for r in rows]
    return sorted(rows, key=lambda r: (r.get("date") or 0, r.get("peer") or "", r.get("body") or ""))


def gen_contacts_csv(seed, n=15):
    """Contacts as a spreadsheet holds them: a name and a phone per line, a
    person's numbers on several lines (the last one written is the newest)."""
    rnd = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["Name", "Phone"])
    rows = []
    for i in range(n):
        name = ["周杰", "Mary Ann", "陈小红", "Bob"][i % 4] + " %d" % i
        for k in range(1 + i % 3):
            rows.append((name, "+86139%04d%04d" % (i, k * 17 + rnd.randrange(10))))
    for r in rows:
        w.writerow(r)
    return out.getvalue()


def unfold(text):
    """A vCard's logical lines: folding and quoted-printable soft breaks undone."""
    lines = []
    for raw in re.split(r"\r?\n", text):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif lines and "QUOTED-PRINTABLE" in lines[-1].split(":", 1)[0].upper() and lines[-1].endswith("="):
            lines[-1] = lines[-1][:-1] + raw
        elif raw:
            lines.append(raw)
    return lines


def canon_vcard(files):
    """People as the cards say them (RFC 2426 / vCard 2.1, read here without
    smsvault's code): one per UID, else per name; every number with its
    TYPEs (PREF aside), and the current one: the PREF number of the person's
    last card (else its first number)."""
    people = {}
    for f in files:
        with open(f, encoding="utf-8") as fh:
            card = None
            for line in unfold(fh.read()):
                head, _, value = line.partition(":")
                parts = head.split(";")
                prop = parts[0].split(".")[-1].upper()
                params = [p.upper() for p in parts[1:]]
                if prop == "BEGIN":
                    card = {"fn": "", "uid": "", "tels": []}
                elif prop == "END" and card is not None:
                    key = ("u:" + card["uid"]) if card["uid"] else "n:" + " ".join(card["fn"].lower().split())
                    p = people.setdefault(key, {"name": card["fn"], "numbers": {}, "current": None})
                    p["name"] = card["fn"]
                    cur = None
                    for num, types, pref in card["tels"]:
                        p["numbers"][num] = types
                        if pref and cur is None:
                            cur = num
                    p["current"] = cur or (card["tels"][0][0] if card["tels"] else None)
                    card = None
                elif card is None:
                    continue
                elif prop == "FN":
                    if any("QUOTED-PRINTABLE" in x for x in params):
                        value = quopri.decodestring(value.encode()).decode("utf-8")
                    card["fn"] = value
                elif prop == "UID":
                    card["uid"] = value
                elif prop == "TEL":
                    types = []
                    pref = False
                    for x in params:
                        x = x[5:] if x.startswith("TYPE=") else x
                        if x.startswith("PREF="):
                            pref = True
                            continue
                        for t in x.split(","):
                            if t == "PREF":
                                pref = True
                            elif t:
                                types.append(t)
                    card["tels"].append((value.replace("\\", ""), ",".join(sorted(set(types))), pref))
    return sorted(({"key": k, "name": p["name"], "current": p["current"],
                    "numbers": sorted([n, t] for n, t in p["numbers"].items())} for k, p in people.items()),
                  key=lambda x: x["key"])


def canon_contacts_csv(files):
    """People of a contacts CSV: by name; every number; the current one the
    person's last line (a file is read in order, the newest upload last)."""
    people = {}
    for f in files:
        with open(f, encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                r = {k.lower(): v for k, v in r.items()}
                name, num = r["name"], r.get("number") or r.get("phone")
                p = people.setdefault(" ".join(name.lower().split()), {"name": name, "numbers": set()})
                p["numbers"].add(num)
                p["current"] = num
    return sorted(({"name": p["name"], "current": p["current"], "numbers": sorted(p["numbers"])}
                   for p in people.values()), key=lambda x: x["name"])


def main(argv):
    if len(argv) == 5 and argv[1] == "gen":
        fn = {"xml": gen_xml, "csv": gen_csv, "vcard": gen_vcard, "contacts-csv": gen_contacts_csv}[argv[2]]
        with open(argv[4], "w", encoding="utf-8", newline="") as out:
            out.write(fn(int(argv[3])))
        return 0
    if len(argv) >= 4 and argv[1] == "canon":
        fn = {"xml": canon_xml, "csv": canon_csv, "vcard": canon_vcard, "contacts-csv": canon_contacts_csv}[argv[2]]
        json.dump(fn(argv[3:]), sys.stdout, ensure_ascii=False, sort_keys=True, indent=1)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
