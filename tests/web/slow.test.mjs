// Slow clients (issue 11, point 4), from the threat: a socket that drips one
// byte every few seconds must not stay for ever, and a handful of them from
// one address (a NAT, an office, a proxy) must not lock out a normal client
// from that same address. vaultweb runs here with header_timeout = 2 s,
// body_min_rate = 1K/s and per_ip_limit = 4 (slow.conf). The attacker
// and the victim share 127.0.0.5; the other tests' traffic comes from
// 127.0.0.1.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { BASE, rawExchange } from './helpers.mjs';

const u = new URL(BASE);
const SHARED = '127.0.0.5';
const LIMIT = 4;

// A socket that sends `first`, then one byte of `rest` every `every` ms, for
// ever (or until the server closes it). Resolves `closed` with what the
// server sent back; `stop()` ends it from our side.
const open = [];
after(() => open.forEach((d) => d.stop()));   // a server that never cuts must not hang the suite

function dripper(first, rest, every = 400, localAddress = SHARED) {
  const s = net.connect({ port: Number(u.port), host: u.hostname, localAddress });
  let got = '', timer = null, i = 0, byServer = true;
  const closed = new Promise((resolve) => {
    s.on('data', (d) => { got += d.toString('latin1'); });
    s.on('close', () => { clearInterval(timer); resolve({ got, byServer }); });
    s.on('error', () => {});
  });
  const opened = new Promise((resolve) => s.once('connect', () => {
    s.write(first);
    timer = setInterval(() => { if (!s.destroyed) s.write(rest[i++ % rest.length]); }, every);
    resolve();
  }));
  const d = { opened, closed, stop: () => { if (!s.destroyed) { byServer = false; s.destroy(); } } };
  open.push(d);
  return d;
}

// Resolves with the first settled of p and a bound (ms); the bound only keeps
// a broken server from hanging the suite, it is not a measurement.
const within = (p, ms, what) => Promise.race([p, new Promise((_, rej) =>
  setTimeout(() => rej(new Error(`${what}: still open after ${ms} ms`)), ms))]);

const me = `GET /api/me HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`;

test('slow heads are cut, and a normal client from the same address is still served', async () => {
  const head = `GET /api/me HTTP/1.1\r\nHost: ${u.host}\r\nX-Pad: `;
  const drips = [];
  for (let i = 0; i < LIMIT + 2; i++) {   // more than the address may hold
    const d = dripper(head, 'a');
    drips.push(d);
    await d.opened;
  }
  // The attacker holds every slot of the address; a normal request from it
  // is answered all the same, at once and again.
  for (let k = 0; k < 3; k++) {
    const r = await rawExchange(me, { localAddress: SHARED, wait: 3000 });
    assert.deepEqual(r.statuses, [401], `normal client #${k}: ${JSON.stringify(r.text.slice(0, 120))}`);
  }
  // Every dripper is closed by the server, none is answered.
  const ends = await within(Promise.all(drips.map((d) => d.closed)), 15000, 'slow heads');
  for (const e of ends) {
    assert.ok(e.byServer, 'closed by the server');
    assert.doesNotMatch(e.got, /HTTP\/1\.1 2/, 'a slow head is never served');
  }
});

test('a body slower than the minimum rate is cut; a normal body is read', async () => {
  const body = JSON.stringify({ username: 'slowbody', password: 'x'.repeat(900) });
  const head = `POST /api/login HTTP/1.1\r\nHost: ${u.host}\r\nX-Smsvault-Csrf: 1\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const d = dripper(head + body.slice(0, 5), body.slice(5), 300);
  await d.opened;
  const e = await within(d.closed, 15000, 'slow body');
  assert.ok(e.byServer);
  assert.doesNotMatch(e.got, /HTTP\/1\.1 [24]0/, 'the slow body never reached the handler');
  const r = await rawExchange(head.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n') + body, { localAddress: SHARED });
  assert.deepEqual(r.statuses, [403], 'the same body sent at once is read (a wrong login: 403, issue 15)');
});

test('an idle keep-alive connection gives way; one busy with requests keeps working', async () => {
  // A client that keeps making requests on one connection is not cut by the
  // head deadline: each answer starts a new one.
  const s = net.connect({ port: Number(u.port), host: u.hostname, localAddress: '127.0.0.6' });
  await new Promise((r) => s.once('connect', r));
  let got = '';
  s.on('data', (d) => { got += d.toString('latin1'); });
  const keep = `GET /api/me HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`;
  for (let i = 1; i <= 4; i++) {
    s.write(keep);
    await within(new Promise((res) => { const t = setInterval(() => {
      if ((got.match(/HTTP\/1\.1 401/g) || []).length >= i) { clearInterval(t); res(); } }, 20); }), 5000, `answer ${i}`);
    await new Promise((r) => setTimeout(r, 800));   // well under the 2 s head deadline each time
  }
  assert.equal((got.match(/HTTP\/1\.1 401/g) || []).length, 4);
  assert.ok(!s.destroyed && s.readyState === 'open', 'the busy connection is still open');
  // Left idle, it is closed by the server.
  await within(new Promise((r) => s.on('close', r)), 15000, 'idle keep-alive');
});
