// No SMS pumping through phone-binding codes (issue 11, point 2), from the
// threat: every "send me a code" is an SMS the operator pays for and a
// stranger's phone receives, so a session, a number and an address may each
// ask only a few times an hour; numbers outside the configured prefixes are
// refused before anything is sent; and the five wrong tries belong to the
// (account, number) pair, not to one code, so asking again does not buy
// five more guesses. Limits in pumping.conf.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Client, uniq, rawExchange, BASE } from './helpers.mjs';

// the last conninfo of the file is the one vaultweb reads (the stack's, after the shipped file's)
const conninfo = [...fs.readFileSync(`${process.env.SV_WEB_WORK}/vaultweb.conf`, 'utf8').matchAll(/^conninfo = (.*)$/gm)].at(-1)[1];
const sql = (q) => execFileSync('psql', ['-X', '-qtA', conninfo, '-c', q]).toString().trim();
let seq = 0;
const number = () => `+86139${String(Date.now() % 1e5).padStart(5, '0')}${String(seq++ % 1000).padStart(3, '0')}`;
// The code texted to msisdn for the newest request, read from the outbox as the phone would read its SMS.
const texted = (msisdn) => /(\d{6})/.exec(sql(`SELECT text FROM outbox WHERE msisdn = '${msisdn}' ORDER BY id DESC LIMIT 1`))[1];

test('one session cannot text codes to many numbers', async () => {
  const c = new Client();
  await c.register(uniq('pump'));
  const codes = [];
  for (let i = 0; i < 50; i++) codes.push((await c.post('/api/phone/start', { msisdn: number() })).status);
  const sent = codes.filter((s) => s === 202).length;
  assert.ok(sent >= 1 && sent <= 5, `codes sent to 50 numbers: ${sent}`);
  assert.ok(codes.slice(sent).every((s) => s === 429), JSON.stringify(codes));
});

test('one number cannot be texted again and again, even from several accounts', async () => {
  const msisdn = number();
  const out = [];
  for (let a = 0; a < 4; a++) {
    const c = new Client();
    await c.register(uniq('pumpn'));
    for (let i = 0; i < 5; i++) out.push((await c.post('/api/phone/start', { msisdn })).status);
  }
  const sent = out.filter((s) => s === 202).length;
  assert.ok(sent >= 1 && sent <= 3, `codes sent to one number: ${sent} of ${out.length}`);
  const r = await new Client().post('/api/phone/start', { msisdn }).catch(() => null);
  assert.ok(r === null || r.status === 401);
});

test('one client address cannot register its way past the per-account limit', async () => {
  const u = new URL(BASE);
  const statuses = [];
  for (let i = 0; i < 12; i++) {
    const account = JSON.stringify({ username: `pa${i}${uniq('')}`.slice(0, 30), password: 'password123' });
    const reg = await rawExchange(`POST /api/register HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\n` +
      `X-Smsvault-Csrf: 1\r\nContent-Length: ${account.length}\r\nConnection: close\r\n\r\n${account}`, { localAddress: '127.0.0.9' });
    const cookie = /sv_session=[0-9a-f]{64}/.exec(reg.text);
    assert.ok(cookie, reg.text.slice(0, 200));
    const body = JSON.stringify({ msisdn: number() });
    const r = await rawExchange(`POST /api/phone/start HTTP/1.1\r\nHost: ${u.host}\r\nCookie: ${cookie[0]}\r\n` +
      `Content-Type: application/json\r\nX-Smsvault-Csrf: 1\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    { localAddress: '127.0.0.9' });
    statuses.push(r.statuses[0]);
  }
  const sent = statuses.filter((s) => s === 202).length;
  assert.ok(sent >= 1 && sent <= 8, `codes sent from one address: ${sent}: ${statuses}`);
});

test('numbers outside the configured prefixes are refused and nothing is texted', async () => {
  const c = new Client();
  await c.register(uniq('pfx'));
  for (const msisdn of ['+447700900123', '+12025550123', '0012025550123']) {
    const before = Number(sql(`SELECT count(*) FROM outbox WHERE msisdn = '${msisdn}'`));
    const r = await c.post('/api/phone/start', { msisdn });
    assert.equal(r.status, 400, msisdn);
    assert.equal(Number(sql(`SELECT count(*) FROM outbox WHERE msisdn = '${msisdn}'`)), before, msisdn);
  }
});

test('wrong tries belong to the (account, number) pair, across codes', async () => {
  const c = new Client();
  await c.register(uniq('tries'));
  const msisdn = number();
  assert.equal((await c.post('/api/phone/start', { msisdn })).status, 202);
  const first = texted(msisdn);
  const wrong = first === '000000' ? '000001' : '000000';
  for (let i = 0; i < 5; i++) assert.equal((await c.post('/api/phone/confirm', { msisdn, code: wrong })).status, 403);
  // A new code does not give five more guesses: even the right one is refused now.
  const again = await c.post('/api/phone/start', { msisdn });
  assert.ok([202, 429].includes(again.status));
  const code = again.status === 202 ? texted(msisdn) : first;
  const r = await c.post('/api/phone/confirm', { msisdn, code });
  assert.notEqual(r.status, 200, 'the pair is locked after five wrong tries');
  assert.deepEqual((await c.get('/api/me')).data.phones, []);
});
