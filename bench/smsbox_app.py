#!/usr/bin/python3
"""smsbox_app — the conventional way to build a Kannel SMS application, for
scripts/bench.sh to compare vaultbox with: Kannel's smsbox calls this small
HTTP service through a `get-url` sms-service for every MO, and sends back as
the reply whatever text the answer's body holds.

GET /mo?from=<sender>&text=<whole text>: for "SAVE <text>" it looks the phone
up (phones.msisdn_key, as smsvault keys them), then in one transaction with a
synchronous commit charges the user's space and takes the next SMS number
(one UPDATE of the user's row, refused when it would not fit) and inserts the
SMS into smsvault's own `sms` table; the answer is "Saved as <n>". Anything
else is answered with a short help text. It keeps no state of its own.

What it leaves out next to vaultbox (that is the point of the comparison):
no de-duplication of an MO smsbox delivers twice, no outbox (the reply lives
only in smsbox's memory until bearerbox has it), no delivery tracking, no
space growth. Written as such an application usually is: Python's threading
HTTP server (HTTP/1.1 keep-alive, TCP_NODELAY, one write per answer) and a
psycopg2 connection pool.

usage: smsbox_app.py --port N --dsn CONNINFO [--pool 16]
Prints "ready" on stdout once it listens; stops on SIGTERM.
"""
import argparse
import http.server
import re
import signal
import socket
import sys
import threading
import urllib.parse

import psycopg2
import psycopg2.pool


def msisdn_key(msisdn):
    """The phone's key as smsvault computes it: digits, no leading 00."""
    digits = re.sub(r"[^0-9]", "", msisdn)
    return digits[2:] if digits.startswith("00") else digits


class App:
    def __init__(self, dsn, size):
        self.pool = psycopg2.pool.ThreadedConnectionPool(1, size, dsn)
        # the pool refuses more than size at once: requests wait for a connection
        self.slots = threading.BoundedSemaphore(size)

    def save(self, sender, body):
        with self.slots:
            return self._save(sender, body)

    def _save(self, sender, body):
        conn = self.pool.getconn()
        try:
            with conn:  # one transaction: commit on success, roll back on error
                with conn.cursor() as cur:
                    cur.execute("SELECT user_id FROM phones WHERE msisdn_key = %s",
                                (msisdn_key(sender),))
                    row = cur.fetchone()
                    if row is None:
                        return "This phone has no account. Send REG <user> <password>."
                    size = len(body.encode("utf-8"))
                    cur.execute("UPDATE users SET used_bytes = used_bytes + %s, next_sms = next_sms + 1"
                                " WHERE id = %s AND used_bytes + %s <= allocated_bytes"
                                " RETURNING next_sms - 1", (size, row[0], size))
                    got = cur.fetchone()
                    if got is None:
                        return "Your space is full."
                    cur.execute("INSERT INTO sms (user_id, n, peer, body, size_bytes, source)"
                                " VALUES (%s, %s, '', %s, %s, 'sms')", (row[0], got[0], body, size))
            return "Saved as %d" % got[0]
        finally:
            self.pool.putconn(conn)


def make_handler(app):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"   # keep-alive: smsbox reuses its connections

        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
            sender = q.get("from", [""])[0]
            text = q.get("text", [""])[0].strip()
            status = 200
            if url.path != "/mo":
                status, reply = 404, "not found"
            else:
                word, _, rest = text.partition(" ")
                if word.upper() == "SAVE" and rest.strip():
                    try:
                        reply = app.save(sender, rest.strip())
                    except psycopg2.Error:
                        status, reply = 503, "try again later"
                else:
                    reply = "Commands: SAVE <text>"
            data = reply.encode("utf-8")
            head = ("HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Content-Length: %d\r\n\r\n" % (status, "OK" if status == 200 else "Error", len(data)))
            self.wfile.write(head.encode("ascii") + data)   # one write

        def log_message(self, fmt, *args):   # no access log (it would hold numbers)
            pass

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--pool", type=int, default=16)
    a = ap.parse_args()
    app = App(a.dsn, a.pool)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(app))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("ready", flush=True)
    server.serve_forever()
    server.server_close()
    app.pool.closeall()
    return 0


if __name__ == "__main__":
    sys.exit(main())
