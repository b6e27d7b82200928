// Downloads at once: each is read on a database connection of its own for
// as long as the browser takes, so vaultweb runs at most export_streams in
// all and export_streams_per_user of one account (here 3 and 2:
// exports.conf). A download is held open by a reader that stops after the
// status line, on a socket whose receive buffer is 4 KB (python3: node
// cannot set SO_RCVBUF), so that the kernel takes no more of the file than
// that: the server's writes wait, and its slot stays taken until the reader
// goes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BASE, Client, uniq } from './helpers.mjs';

const u = new URL(BASE);
const held = [];
after(() => held.forEach((h) => h.release()));

const READER = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((sys.argv[1], int(sys.argv[2])))
s.sendall(sys.argv[3].encode())
head = b""
while b"\\r\\n" not in head:
    got = s.recv(1)
    if not got:
        break
    head += got
print(head.split(b" ")[1].decode() if head.count(b" ") else "0", flush=True)
sys.stdin.read()
`;

// An export of everything, read up to its status line and then no further
// until release().
function hold(client) {
  const body = JSON.stringify({ kind: 'sms', format: 'xml' });
  const req = `POST /api/export HTTP/1.1\r\nHost: ${u.host}\r\nCookie: ${client.cookie}\r\n` +
    `X-Smsvault-Csrf: 1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const p = spawn('python3', ['-c', READER, u.hostname, u.port, req], { stdio: ['pipe', 'pipe', 'inherit'] });
  const h = {
    status: new Promise((resolve) => createInterface({ input: p.stdout }).once('line', (l) => resolve(Number(l)))),
    release: () => p.stdin.end(),
  };
  held.push(h);
  return h;
}

// An account with n long SMS of ampersands: in XML each is "&amp;", so that
// an export of 3,000 is 7.5 MB, more than the kernel's socket buffers on
// loopback hold (the server's send buffer grows up to tcp_wmem's 4 MB) while
// the account stays under the suite's 2 MB quota.
async function account(prefix, n) {
  const c = new Client();
  await c.register(uniq(prefix));
  let csv = 'date,body\n';
  for (let i = 0; i < n; i++) csv += `${1700000000 + i * 60},${'&'.repeat(500)} ${i}\n`;
  const imp = await c.post('/api/import?format=csv', csv, { json: false, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(imp.data.imported, n);
  return c;
}

const waitFor = async (what, fn, ms = 10000) => {
  const end = Date.now() + ms;
  for (;;) {
    const r = await fn();
    if (r) return r;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((res) => setTimeout(res, 200));
  }
};

test('two downloads per account and three in all run at once; one more is refused with a wait, and runs once one ends', async () => {
  const a = await account('dla', 3000), b = await account('dlb', 3000), c = await account('dlc', 3);
  const a1 = hold(a), a2 = hold(a);
  assert.equal(await a1.status, 200);
  assert.equal(await a2.status, 200);
  // the account's third: 429, its own limit, with a wait
  let r = await a.post('/api/export', { kind: 'sms', format: 'xml' });
  assert.equal(r.status, 429);
  assert.equal(r.data.refused, 'export_per_user');
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  // another account still gets the last slot ...
  const b1 = hold(b);
  assert.equal(await b1.status, 200);
  // ... and then everyone waits: 503, the server's limit
  for (const who of [b, c]) {
    r = await who.post('/api/export', { kind: 'sms', format: 'csv' });
    assert.equal(r.status, 503);
    assert.equal(r.data.refused, 'export_busy');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  }
  // a refused download held nothing: the one that ends frees the slot it had
  a1.release();
  const got = await waitFor('a slot after a download ended', async () => {
    const e = await c.post('/api/export', { kind: 'sms', format: 'xml' });
    return e.status === 200 ? e : null;
  });
  const xml = got.data.toString('utf8');
  assert.match(xml, /<smses count="3"/);
  assert.equal((xml.match(/<sms /g) || []).length, 3);
  // the account's second slot is free again too, and its download is whole
  // (c's slot is given back when the server has seen its download end,
  // which may be a moment after the browser read its last byte)
  const a3 = await waitFor('a second slot for the account', async () => {
    const e = await a.post('/api/export', { kind: 'sms', format: 'csv' });
    return e.status === 200 ? e : null;
  });
  assert.equal(a3.data.toString('utf8').trim().split('\n').length, 3001, 'the header and every SMS');
  for (const h of [a2, b1]) h.release();
  // all slots come back
  await waitFor('every slot back', async () => {
    const rs = await Promise.all([a, b, c].map((w) => w.post('/api/export', { kind: 'sms', format: 'xml' })));
    return rs.every((e) => e.status === 200);
  });
});
