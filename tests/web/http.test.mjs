// HTTP tests of a running vaultweb: security headers, authentication on
// every endpoint, CSRF checks and refused content types on every POST,
// body caps, another user's items answering 404, sessions, login
// throttling, MMS parts inline only for allowed types, space refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BASE, Client, uniq, makePng } from './helpers.mjs';

const POSTS = ['/api/logout', '/api/password', '/api/phone/start', '/api/phone/confirm', '/api/phone/unbind',
  '/api/sms', '/api/sms/delete', '/api/mms', '/api/mms/delete', '/api/contacts', '/api/contacts/delete',
  '/api/import', '/api/export', '/api/send', '/api/lang'];
const GETS = ['/api/me', '/api/sms', '/api/sms/1', '/api/mms', '/api/mms/1', '/api/mms/1/parts/1',
  '/api/contacts', '/api/contacts/1'];
const UPLOADS = new Set(['/api/mms', '/api/import']);

test('security headers on the page and the API', async () => {
  for (const path of ['/', '/app.css', '/js/app.js', '/api/me', '/nope']) {
    const r = await fetch(BASE + path);
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/, path);
    assert.match(csp, /script-src 'self'/, path);
    assert.doesNotMatch(csp, /unsafe-inline/, path);
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
    assert.ok(r.headers.get('referrer-policy'), path);
  }
  const api = await fetch(BASE + '/api/me');
  assert.equal(api.headers.get('cache-control'), 'no-store');
  const page = await (await fetch(BASE + '/')).text();
  assert.doesNotMatch(page, /<script>(?!<\/script>)/, 'no inline script in the page');
  assert.doesNotMatch(page, /\son[a-z]+=/i, 'no inline event handlers');
  assert.equal((await fetch(BASE + '/../etc/passwd')).status, 404);
  assert.equal((await fetch(BASE + '/.hidden')).status, 404);
});

test('every endpoint needs a session', async () => {
  const c = new Client();
  for (const p of GETS) assert.equal((await c.get(p)).status, 401, p);
  for (const p of POSTS) {
    const r = await c.post(p, UPLOADS.has(p) ? 'x' : {}, UPLOADS.has(p) ? { json: false, headers: { 'Content-Type': 'application/octet-stream' } } : {});
    assert.equal(r.status, 401, p);
    assert.equal(r.data.error, 'unauthenticated', p);
  }
  const forged = new Client();
  forged.cookie = 'sv_session=' + 'a'.repeat(64);
  assert.equal((await forged.get('/api/me')).status, 401);
  assert.equal((await c.get('/api/nothing')).status, 404);
  assert.equal((await c.req('DELETE', '/api/sms')).status, 405);
});

test('CSRF: custom header, Origin, Sec-Fetch-Site and form bodies on every POST', async () => {
  const c = new Client();
  await c.register(uniq('csrf'));
  const all = [...POSTS, '/api/login', '/api/register'];
  for (const p of all) {
    const body = UPLOADS.has(p) ? 'x' : '{}';
    const ct = UPLOADS.has(p) ? 'application/octet-stream' : 'application/json';
    let r = await c.req('POST', p, { body, json: false, csrf: false, headers: { 'Content-Type': ct } });
    assert.equal(r.status, 403, `${p} without the header`);
    r = await c.req('POST', p, { body, json: false, headers: { 'Content-Type': ct, Origin: 'http://evil.example' } });
    assert.equal(r.status, 403, `${p} from another origin`);
    r = await c.req('POST', p, { body, json: false, headers: { 'Content-Type': ct, 'Sec-Fetch-Site': 'cross-site' } });
    assert.equal(r.status, 403, `${p} cross-site`);
    for (const bad of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain', 'text/plain;charset=UTF-8']) {
      r = await c.req('POST', p, { body: 'a=b', json: false, headers: { 'Content-Type': bad } });
      assert.equal(r.status, 415, `${p} with ${bad}`);
    }
    r = await c.req('POST', p, { body: 'a=b', json: false, headers: {} });
    assert.ok(r.status === 415 || r.status === 400, `${p} without a content type: ${r.status}`);
  }
  // Same origin passes the gate.
  const ok = await c.post('/api/sms', { body: 'same origin' }, { headers: { Origin: BASE, 'Sec-Fetch-Site': 'same-origin' } });
  assert.equal(ok.status, 201);
  // JSON routes want JSON.
  const xml = await c.req('POST', '/api/sms', { body: '<a/>', json: false, headers: { 'Content-Type': 'application/xml' } });
  assert.equal(xml.status, 415);
});

test('malformed JSON and wrong fields are 400 with a message', async () => {
  const c = new Client();
  await c.register(uniq('json'));
  for (const body of ['{', '[]', '"x"', '{"body":1}', '{"body":"a","body":"b"}', '{"body":"\\u0000"}', '{}', '{"body":""}']) {
    const r = await c.req('POST', '/api/sms', { body, json: false, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 400, body);
    assert.ok(r.data.message, body);
  }
  assert.equal((await c.post('/api/sms/delete', { ns: [-1] })).status, 400);
  assert.equal((await c.post('/api/sms/delete', { ns: 'all' })).status, 400);
  assert.equal((await c.get('/api/sms?limit=0')).status, 400);
  assert.equal((await c.get('/api/sms?before=x')).status, 400);
  assert.equal((await c.post('/api/export', { kind: 'mms', format: 'csv' })).status, 400);
});

test('body caps: JSON and uploads', async () => {
  const c = new Client();
  await c.register(uniq('cap'));
  const big = JSON.stringify({ body: 'x'.repeat(70 * 1024) });
  let r = await c.req('POST', '/api/sms', { body: big, json: false, headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 413);
  // The server answers 413 before the body is sent and closes: curl reads that answer, fetch calls it a
  // network error, so curl is the witness here.
  const out = execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Cookie: ${c.cookie}`,
    '-H', 'X-Smsvault-Csrf: 1', '-H', 'Content-Type: application/octet-stream', '--data-binary', '@-',
    `${BASE}/api/import?format=csv`], { input: Buffer.alloc(5 * 1024 * 1024, 0x61) }).toString();
  assert.equal(out, '413');
  // Without a session an upload may not exceed the JSON cap either: nobody
  // can make the server take in megabytes before logging in.
  const anon = execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}',
    '-H', 'X-Smsvault-Csrf: 1', '-H', 'Content-Type: application/octet-stream', '--data-binary', '@-',
    `${BASE}/api/import?format=csv`], { input: Buffer.alloc(1024 * 1024, 0x61) }).toString();
  assert.equal(anon, '413');
  // The server still answers afterwards.
  assert.equal((await c.get('/api/me')).status, 200);
});

test("another user's items answer 404 and cannot be touched", async () => {
  const a = new Client(), b = new Client();
  await a.register(uniq('alice'));
  await b.register(uniq('bob'));
  const sms = (await a.post('/api/sms', { body: 'secret of alice' })).data.n;
  const png = makePng(4, 4).toString('base64');
  const mms = (await a.post('/api/mms', { subject: 's', parts: [{ content_type: 'image/png', name: 'a.png', data: png }] })).data.n;
  const contact = (await a.post('/api/contacts', { name: 'Carol', number: '+8613000000000' })).data.n;
  for (const p of [`/api/sms/${sms}`, `/api/mms/${mms}`, `/api/mms/${mms}/parts/1`, `/api/contacts/${contact}`]) {
    assert.equal((await b.get(p)).status, 404, p);
    assert.equal((await a.get(p)).status, 200, p);
  }
  for (const [kind, n] of [['sms', sms], ['mms', mms], ['contacts', contact]]) {
    const d = await b.post(`/api/${kind}/delete`, { ns: [n] });
    assert.equal(d.status, 200);
    assert.equal(d.data.deleted, 0, kind);
    const e = await b.post('/api/export', { kind, format: kind === 'contacts' ? 'csv' : 'xml', ns: [n] });
    assert.equal(e.status, 200);
    assert.doesNotMatch(e.data.toString(), /alice|Carol|a\.png/, kind);
  }
  assert.equal((await a.get(`/api/sms/${sms}`)).data.body, 'secret of alice');
  // Unbinding a phone that is not yours is refused.
  assert.equal((await b.post('/api/phone/unbind', { msisdn: '+8613800000000' })).status, 404);
});

test('sessions: cookie flags, new id at login, logout ends it server-side, password change', async () => {
  const name = uniq('sess');
  const c = new Client();
  const reg = await c.register(name);
  assert.match(reg.setCookie, /HttpOnly/);
  assert.match(reg.setCookie, /SameSite=Strict/);
  assert.match(reg.setCookie, /sv_session=[0-9a-f]{64}/);
  const first = c.cookie;
  const l = await c.post('/api/login', { username: name, password: 'password123' });
  assert.equal(l.status, 200);
  assert.notEqual(c.cookie, first, 'a new session id at login');
  const old = new Client(); old.cookie = first;
  assert.equal((await old.get('/api/me')).status, 401, 'the session the browser came with is over');
  const kept = c.cookie;
  assert.equal((await c.post('/api/logout', {})).status, 200);
  const after = new Client(); after.cookie = kept;
  assert.equal((await after.get('/api/me')).status, 401, 'logout ends the session on the server');

  const d = new Client();
  await d.post('/api/login', { username: name, password: 'password123' });
  const other = new Client();
  await other.post('/api/login', { username: name, password: 'password123' });
  assert.equal((await d.post('/api/password', { old: 'wrong-one', new: 'newpassword1' })).status, 403);
  assert.equal((await d.post('/api/password', { old: 'password123', new: 'newpassword1' })).status, 200);
  assert.equal((await d.get('/api/me')).status, 200, 'this browser keeps a fresh session');
  assert.equal((await other.get('/api/me')).status, 401, 'other sessions end');
  assert.equal((await new Client().post('/api/login', { username: name, password: 'newpassword1' })).status, 200);
});

test('failed logins: same answer for unknown user and wrong password; then throttled', async () => {
  // Timing: the fastest of five tries each, so that a busy machine cannot fake
  // a difference; a wrong password is tried on five accounts so that none is
  // throttled yet. An unknown user must cost about what a wrong password costs
  // (the store verifies a dummy hash), not return at once.
  const names = [];
  for (let i = 0; i < 5; i++) {
    names.push(uniq('thr'));
    await new Client().register(names[i]);
  }
  const name = names[0];
  const c = new Client();
  let unknown, wrong, a = Infinity, b = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    unknown = await c.post('/api/login', { username: uniq('ghost'), password: 'whatever12' });
    const t1 = performance.now();
    wrong = await c.post('/api/login', { username: names[i], password: 'whatever12' });
    const t2 = performance.now();
    a = Math.min(a, t1 - t0);
    b = Math.min(b, t2 - t1);
    assert.equal(unknown.status, wrong.status);
    assert.deepEqual(unknown.data, wrong.data);
  }
  /* a checked and wrong password is a refusal (403), never "log in" (401) */
  assert.equal(wrong.status, 403);
  assert.equal(wrong.data.error, 'denied');
  assert.ok(Math.max(a, b) / Math.min(a, b) < 4, `fastest timings ${a.toFixed(1)} ms vs ${b.toFixed(1)} ms`);
  let r;
  for (let i = 0; i < 4; i++) r = await c.post('/api/login', { username: name, password: 'whatever12' });
  assert.equal(r.status, 429);
  assert.equal(r.data.error, 'throttled');
  assert.ok(r.data.retry_after >= 1, 'retry_after in the answer');
  assert.ok(Number(r.headers.get('retry-after')) >= 1);
  // Even the right password waits now.
  assert.equal((await c.post('/api/login', { username: name, password: 'password123' })).status, 429);
});

test('register refuses bad names, short passwords and taken names', async () => {
  const c = new Client();
  assert.equal((await c.post('/api/register', { username: 'a', password: 'password123' })).status, 400);
  assert.equal((await c.post('/api/register', { username: '<script>', password: 'password123' })).status, 400);
  assert.equal((await c.post('/api/register', { username: uniq('u'), password: 'short' })).status, 400);
  const n = uniq('dup');
  await c.register(n);
  const taken = await new Client().post('/api/register', { username: n.toUpperCase(), password: 'password123' });
  assert.equal(taken.status, 409);
  assert.equal(taken.data.error, 'conflict');   /* the status table's code for STORE_CONFLICT */
  assert.match(taken.data.message, /taken/);
});

test('MMS parts: allowed images inline, anything else as an attachment', async () => {
  const c = new Client();
  await c.register(uniq('mms'));
  const parts = [
    { content_type: 'image/png', name: 'p.png', data: makePng(8, 8).toString('base64') },
    { content_type: 'text/html', name: 'x.html', data: Buffer.from('<script>alert(1)</script>').toString('base64') },
    { content_type: 'image/svg+xml', name: 'x.svg', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').toString('base64') },
    { content_type: 'text/plain', name: 't.txt', data: Buffer.from('你好').toString('base64') },
  ];
  const n = (await c.post('/api/mms', { peer: '+86', subject: '主题', parts })).data.n;
  const img = await c.get(`/api/mms/${n}/parts/1`);
  assert.equal(img.headers.get('content-type'), 'image/png');
  assert.match(img.headers.get('content-disposition'), /^inline/);
  for (const seq of [2, 3]) {
    const r = await c.get(`/api/mms/${n}/parts/${seq}`);
    assert.equal(r.headers.get('content-type'), 'application/octet-stream');
    assert.match(r.headers.get('content-disposition'), /^attachment/);
  }
  const t = await c.get(`/api/mms/${n}/parts/4`);
  assert.match(t.headers.get('content-type'), /^text\/plain/);
  assert.equal(t.data.toString(), '你好');
  assert.equal((await c.get(`/api/mms/${n}/parts/9`)).status, 404);
  const m = await c.get(`/api/mms/${n}`);
  assert.equal(m.data.parts.length, 4);
  assert.equal(m.data.parts[3].text, '你好');
  assert.equal((await c.post('/api/mms', { parts: [{ content_type: 'image/png', data: '!!!' }] })).status, 400);
  assert.equal((await c.post('/api/mms', { parts: [] })).status, 400);
});

test('space: a refusal says so and stores nothing', async () => {
  const c = new Client();
  await c.register(uniq('space'));
  const before = (await c.get('/api/me')).data.usage;
  const data = Buffer.alloc(2600 * 1024, 7).toString('base64');   /* more than the test cap of 2M */
  const r = await c.post('/api/mms', { parts: [{ content_type: 'image/png', name: 'big.png', data }] });
  assert.equal(r.status, 507);
  assert.match(r.data.message, /space/i);
  const after = (await c.get('/api/me')).data.usage;
  assert.equal(after.used, before.used);
  assert.equal(after.mms, 0);
});

test('import: a refusal for space stops it, keeps what fitted and says so', async () => {
  const c = new Client();
  await c.register(uniq('impspace'));
  const body = 'x'.repeat(2000);
  let xml = '<smses>';
  for (let i = 0; i < 1200; i++)   /* 2.4 MB of bodies; the test cap is 2M */
    xml += `<sms address="+86${i}" date="${1600000000000 + i * 1000}" body="${i} ${body}"/>`;
  xml += '</smses>';
  const up = () => c.req('POST', '/api/import?format=xml', { body: xml, json: false,
    headers: { 'Content-Type': 'application/octet-stream' } });
  const r = await up();
  assert.equal(r.status, 507);
  assert.match(r.data.message, /space/i);
  const u = (await c.get('/api/me')).data.usage;
  assert.ok(r.data.imported > 900 && r.data.imported < 1200, `imported ${r.data.imported}`);
  assert.equal(u.sms, r.data.imported);
  assert.ok(u.used <= 2 * 1024 * 1024 && u.used > 2 * 1024 * 1024 - 2010, `used ${u.used}`);
  assert.equal(u.allocated, 2 * 1024 * 1024);
  /* again: what was stored is a duplicate, the rest is still refused */
  const again = await up();
  assert.equal(again.status, 507);
  assert.equal(again.data.imported, 0);
  assert.equal(again.data.duplicates, r.data.imported);
  assert.equal((await c.get('/api/me')).data.usage.used, u.used);
});

test('import: MMS and vCards in batches, stopped by the cap, each item whole (message and parts, card and numbers)', async () => {
  const c = new Client();
  await c.register(uniq('impbatch'));
  const up = (body, fmt) => c.req('POST', `/api/import?format=${fmt}`, { body, json: false,
    headers: { 'Content-Type': 'application/octet-stream' } });
  const cap = 2 * 1024 * 1024;   /* the test cap */
  const blob = (i) => Buffer.alloc(2000, i % 251);
  let xml = '<smses>';
  for (let i = 0; i < 1200; i++)   /* 2.4 MB of parts */
    xml += `<mms address="+86${i}" date="${1600000000000 + i * 1000}" sub="m${i}"><parts>`
      + `<part ct="application/smil" text="&lt;smil/&gt;"/><part ct="image/png" cl="p${i}.png" data="${blob(i).toString('base64')}"/>`
      + `<part ct="text/plain" text="${i}"/></parts></mms>`;
  xml += '</smses>';
  let r = await up(xml, 'xml');
  assert.equal(r.status, 507, JSON.stringify(r.data));
  const k = r.data.imported;
  assert.ok(k > 900 && k < 1200, `imported ${k}`);
  let u = (await c.get('/api/me')).data.usage;
  assert.equal(u.mms, k);
  /* charged exactly the messages stored, each whole: the SMIL layout (kept,
   * issue 10), 2000 bytes and its text */
  let sum = 0;
  for (let i = 0; i < k; i++) sum += '<smil/>'.length + 2000 + String(i).length;
  assert.equal(u.used, sum);
  assert.ok(u.used <= cap);
  for (const n of [1, k]) {
    const m = (await c.get(`/api/mms/${n}`)).data;
    assert.equal(m.parts.length, 3);
    assert.equal(m.parts[0].content_type, 'application/smil');
    assert.equal(m.parts[2].text, String(n - 1));
    const img = await c.get(`/api/mms/${n}/parts/2`);
    assert.deepEqual(Buffer.from(img.data), blob(n - 1));
  }
  assert.equal((await c.get(`/api/mms/${k + 1}`)).status, 404);
  r = await up(xml, 'xml');
  assert.equal(r.status, 507);
  assert.equal(r.data.imported, 0);
  assert.equal(r.data.duplicates, k);

  /* cards of two numbers and a long note: all of a card's rows, or none */
  const d = new Client();
  await d.register(uniq('impcards'));
  const card = (i) => `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person ${i}\r\nTEL;TYPE=HOME:010${String(i).padStart(6, '0')}\r\n`
    + `TEL;TYPE=CELL,PREF:138${String(i).padStart(8, '0')}\r\nNOTE:${'n'.repeat(1000)}\r\nEND:VCARD\r\n`;
  let vcf = '';
  for (let i = 0; i < 1200; i++) vcf += card(i);
  r = await d.req('POST', '/api/import?format=vcard', { body: vcf, json: false,
    headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(r.status, 507, JSON.stringify(r.data));
  /* a card is one contact imported (issue 10), its two numbers two rows */
  const rows = 2 * r.data.imported;
  assert.ok(rows > 1000 && rows < 2400, `imported ${r.data.imported}`);
  u = (await d.get('/api/me')).data.usage;
  assert.equal(u.contacts, rows);
  assert.equal(u.people, rows / 2);
  sum = 0;
  for (let i = 0; i < rows / 2; i++) sum += 2 * Buffer.byteLength(card(i));
  assert.equal(u.used, sum);
  /* the last card stored is the newest person, its PREF number current */
  const l = (await d.get('/api/contacts?limit=1')).data.items;
  assert.deepEqual(l[0].numbers.map((x) => [x.number, x.current]),
    [[`138${String(rows / 2 - 1).padStart(8, '0')}`, true], [`010${String(rows / 2 - 1).padStart(6, '0')}`, false]]);
});

test('send to my phone needs a bound phone; binding starts with a texted code', async () => {
  const c = new Client();
  await c.register(uniq('phone'));
  const n = (await c.post('/api/sms', { body: 'to my phone' })).data.n;
  const s = await c.post('/api/send', { kind: 'sms', ns: [n] });
  assert.equal(s.status, 409);
  assert.equal(s.data.error, 'no_phone');
  assert.equal((await c.post('/api/phone/start', { msisdn: 'abc' })).status, 400);
  assert.equal((await c.post('/api/phone/start', { msisdn: '+1 234' })).status, 400, 'too few digits');
  /* written with separators: one phone for the store (common/msisdn.h) */
  assert.equal((await c.post('/api/phone/start', { msisdn: '+86 138-0000-0078' })).status, 202);
  assert.equal((await c.post('/api/phone/start', { msisdn: '+8613800000077' })).status, 202);
  assert.equal((await c.post('/api/phone/confirm', { msisdn: '+8613800000077', code: '000000' })).status, 403);
});

test('vCard import: a row per number of one person, the PREF one current, any charset; exported once; read again adds nothing', async () => {
  const c = new Client();
  await c.register(uniq('card'));
  const up = (body) => c.req('POST', '/api/import?format=vcard', { body, json: false,
    headers: { 'Content-Type': 'application/octet-stream' } });
  /* a phone's export: GB2312 as 8-bit bytes, three numbers, the second PREF */
  const card = Buffer.concat([
    Buffer.from('BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=GB2312:'), Buffer.from([0xd5, 0xc5, 0xce, 0xb0]),
    Buffer.from('\r\nTEL;HOME:010-1234\r\nTEL;CELL;PREF:13800000071\r\nTEL;WORK:021-5555\r\nEND:VCARD\r\n')]);
  let r = await up(card);
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.equal(r.data.imported, 1, 'one card: one person, three numbers');
  /* one person (issue 10) with three numbers, the PREF one current though it is not last in the file */
  const l = (await c.get('/api/contacts')).data.items;
  assert.equal(l.length, 1);
  assert.equal(l[0].numbers.length, 3);
  const cur = l[0].numbers.filter((x) => x.current);
  assert.deepEqual(cur.map((x) => [x.name, x.number, x.types]), [['张伟', '13800000071', 'CELL,PREF']]);
  assert.equal(l[0].n, cur[0].n);
  /* the card is kept in UTF-8 */
  const one = (await c.get(`/api/contacts/${cur[0].n}`)).data;
  assert.match(one.vcard, /FN;CHARSET=UTF-8:张伟\r\n/);
  /* a vCard export writes the card once, not once per number */
  const e = await c.post('/api/export', { kind: 'contacts', format: 'vcard' });
  assert.equal(e.status, 200);
  assert.equal(e.data.toString().split('BEGIN:VCARD').length - 1, 1);
  /* importing the file again (or the export) adds nothing */
  r = await up(card);
  assert.equal(r.data.imported, 0);
  assert.equal(r.data.duplicates, 1);
  r = await up(e.data);
  assert.equal(r.data.imported, 0);
  assert.equal((await c.get('/api/me')).data.usage.contacts, 3);
  assert.equal((await c.get('/api/me')).data.usage.people, 1);
  /* deleting the person by one of its numbers deletes all three */
  const d = await c.post('/api/contacts/delete', { ns: [l[0].numbers[2].n] });
  assert.equal(d.status, 200);
  assert.equal(d.data.deleted, 3);
  assert.equal(d.data.usage.people, 0);
  assert.equal((await c.get('/api/contacts')).data.items.length, 0);
  /* a charset nobody knows: refused, nothing stored */
  r = await up('BEGIN:VCARD\r\nFN;CHARSET=X-NOPE:x\r\nTEL:12345\r\nEND:VCARD\r\n');
  assert.equal(r.status, 400);
  assert.match(r.data.message, /character set/);
});

test('import: malformed files store nothing; duplicates are skipped', async () => {
  const c = new Client();
  await c.register(uniq('imp'));
  const up = (body, fmt) => c.req('POST', `/api/import${fmt ? `?format=${fmt}` : ''}`, { body, json: false,
    headers: { 'Content-Type': 'application/octet-stream' } });
  let r = await up('<smses><sms address="1" body="ok"/><sms address="2" body="x"></smses>', 'xml');
  assert.equal(r.status, 400);
  assert.match(r.data.message, /line/);
  assert.equal((await c.get('/api/me')).data.usage.sms, 0);
  r = await up('<!DOCTYPE x [<!ENTITY a "b">]><smses/>', 'xml');
  assert.equal(r.status, 400);
  const csv = 'peer,date,body\n+861,2024-01-01T00:00:00Z,"你好, world"\n+862,,second\n';
  r = await up(csv, 'csv');
  assert.equal(r.status, 200);
  assert.equal(r.data.imported, 2);
  r = await up(csv);
  assert.equal(r.data.imported, 0);
  assert.equal(r.data.duplicates, 2);
  assert.equal((await up('x', 'pdf')).status, 400);
});

// ---- hostile input: every refusal is a clear 4xx, stores nothing, and the server keeps answering ----

// One raw HTTP/1.1 exchange over a socket, for what fetch will not send (a Content-Length that lies,
// a body cut short, raw bytes in the path). Resolves with the status line's code, or 0 when the server
// closed without answering; `hold` ms: keep the socket open that long before closing.
import net from 'node:net';
function raw(head, body = Buffer.alloc(0), { hold = 0 } = {}) {
  const u = new URL(BASE);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname);
    let got = Buffer.alloc(0), done = false;
    const finish = () => { if (!done) { done = true; s.destroy(); const m = /^HTTP\/1\.[01] (\d{3})/.exec(got.toString('latin1')); resolve(m ? Number(m[1]) : 0); } };
    s.on('data', (d) => { got = Buffer.concat([got, d]); if (/\r\n\r\n/.test(got.toString('latin1'))) setTimeout(finish, 50); });
    s.on('error', finish);
    s.on('close', finish);
    s.write(Buffer.concat([Buffer.from(head.replace(/\n/g, '\r\n') + '\r\n'), body]));
    if (hold) setTimeout(finish, hold);
  });
}

test('hostile JSON bodies are 400 and store nothing', async () => {
  const c = new Client();
  await c.register(uniq('hjson'));
  const bodies = [
    '['.repeat(60000),
    '{"body":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
    '{"body":"a","n":' + '9'.repeat(400) + '}',
    '{"body":"x","body":"x"}',
    '{"body":["x"]}', '{"body":{"x":1}}', '{"body":true}', '{"body":null}',
    '{"body":"a\\u0000b"}',
    '{"body":"\\ud800"}', '{"body":"\\udc00x"}', '{"body":"\\ud800\\u0041"}',
    '{"body":"ok"} trailing', '{"body":"ok"',
  ];
  for (const body of bodies) {
    const r = await c.req('POST', '/api/sms', { body, json: false, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 400, body.slice(0, 40));
    assert.ok(r.data.message, body.slice(0, 40));
  }
  // invalid UTF-8 bytes inside a JSON string, and a UTF-16 body
  for (const body of [Buffer.from([0x7b, 0x22, 0x62, 0x6f, 0x64, 0x79, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    Buffer.from('{"body":"\xc0\xaf"}', 'latin1'), Buffer.from('\ufeff{"body":"x"}', 'utf16le')]) {
    const r = await c.req('POST', '/api/sms', { body, json: false, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 400);
  }
  // a name, a number and a body just over their limits
  assert.equal((await c.post('/api/sms', { body: 'x'.repeat(65537) })).status, 413);   // over the JSON cap
  assert.equal((await c.post('/api/contacts', { name: 'n'.repeat(257), number: '123' })).status, 400);
  assert.equal((await c.post('/api/contacts', { name: 'n', number: '1'.repeat(65) })).status, 400);
  assert.equal((await c.post('/api/contacts', { name: 'n', number: '*100#' })).status, 400, 'no phone number');
  assert.equal((await c.post('/api/sms', { body: 'x', peer: '1'.repeat(65) })).status, 400);
  assert.equal((await c.post('/api/sms/delete', { ns: [1e300] })).status, 400);
  assert.equal((await c.post('/api/sms/delete', { ns: [1.5] })).status, 400);
  const me = (await c.get('/api/me')).data;
  assert.equal(me.usage.sms, 0);
  assert.equal(me.usage.contacts, 0);
  // the body limit exactly: stored whole
  const r = await c.post('/api/sms', { body: '字'.repeat(20000) });
  assert.equal(r.status, 201);
  assert.equal((await c.get(`/api/sms/${r.data.n}`)).data.body, '字'.repeat(20000));
});

test('odd ids, query values and cookies', async () => {
  const c = new Client();
  await c.register(uniq('ids'));
  for (const p of ['/api/sms/-1', '/api/sms/0', '/api/sms/99999999999999999999', '/api/sms/1abc', '/api/sms/1/',
    '/api/sms/%31', '/api/mms/1/parts/-5', '/api/mms/1/parts/0', '/api/mms/-1/parts/1',
    '/api/contacts/999999999999999999', '/api/sms//1']) {
    const r = await c.get(p);
    assert.equal(r.status, 404, p);
    assert.equal(r.data.error, 'not_found', p);
  }
  for (const q of ['limit=99999999999999999999', 'limit=-1', 'limit=501', 'limit=1e3', 'before=-1',
    'before=1x', 'q=' + '%FF', 'q=' + 'a'.repeat(10000)]) {
    assert.equal((await c.get('/api/sms?' + q)).status, 400, q);
  }
  for (const q of ['before=99999999999999999999', 'before=9223372036854775807', 'limit=500', 'q=%E5%AD%97']) {
    const r = await c.get('/api/sms?' + q);
    assert.equal(r.status, 200, q);
    assert.deepEqual(r.data.items, [], q);
  }
  for (const cookie of ['sv_session=', 'sv_session=x', 'sv_session=' + 'a'.repeat(63), 'sv_session=' + 'a'.repeat(65),
    'sv_session=' + 'z'.repeat(64), 'sv_session=' + c.cookie.slice(11, 40) + '%00' + 'a'.repeat(30),
    'sv_session=' + c.cookie.slice(11, 70) + '\u00e9' + c.cookie.slice(71)]) {
    const o = new Client();
    o.cookie = cookie;
    assert.equal((await o.get('/api/me')).status, 401, cookie);
  }
  assert.equal((await c.get('/api/me')).status, 200);
});

test('wrong methods and static paths', async () => {
  const c = new Client();
  for (const [m, p, want] of [['PUT', '/api/sms', 405], ['DELETE', '/api/sms/1', 405], ['PATCH', '/api/me', 405],
    ['POST', '/', 405], ['POST', '/index.html', 405], ['GET', '/api/login', 405], ['GET', '/api/', 404]]) {
    assert.equal((await c.req(m, p, { csrf: false })).status, want, `${m} ${p}`);
  }
  for (const p of ['/%2e%2e/%2e%2e/etc/passwd', '/js/../../etc/passwd', 
    '/index.html/', '/js//app.js', '/%2fetc%2fpasswd', '/js/app.js%3f', '/' + 'a'.repeat(300) + '.js', '/index.htm',
    '/.git/config', '/js/.app.js', '/CMakeLists.txt']) {
    assert.equal((await fetch(BASE + p)).status, 404, p);
  }
  for (const p of ['/../../etc/passwd', '/js/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc/passwd', '/js/..\\..\\index.html']) {
    const code = await raw(`GET ${p} HTTP/1.1\nHost: x\nConnection: close\n`);
    assert.ok(code === 404 || code === 400, `${p}: ${code}`);
  }
  assert.equal((await fetch(BASE + '/')).status, 200);
});

test('lying Content-Length and truncated bodies', async () => {
  const c = new Client();
  await c.register(uniq('len'));
  const hdr = (path, len, ct, cookie = '') => `POST ${path} HTTP/1.1\nHost: x\nX-Smsvault-Csrf: 1\n` +
    `Content-Type: ${ct}\nContent-Length: ${len}\n${cookie ? `Cookie: ${cookie}\n` : ''}`;
  // 100 MB announced, a few bytes sent: refused at once, with or without a session
  assert.equal(await raw(hdr('/api/import?format=csv', 100 * 1024 * 1024, 'application/octet-stream'), Buffer.from('body\n')), 413);
  assert.equal(await raw(hdr('/api/import?format=csv', 100 * 1024 * 1024, 'application/octet-stream', c.cookie), Buffer.from('body\n')), 413);
  assert.equal(await raw(hdr('/api/sms', 1e15, 'application/json', c.cookie), Buffer.from('{}')), 413);
  assert.equal(await raw(hdr('/api/sms', '-1', 'application/json', c.cookie), Buffer.from('{}')), 400);
  // a body cut short: the client goes away, nothing is stored
  for (let i = 0; i < 5; i++) {
    await raw(hdr('/api/sms', 100, 'application/json', c.cookie), Buffer.from('{"body":"cut'), { hold: 100 });
    await raw(hdr('/api/import?format=csv', 4000, 'application/octet-stream', c.cookie), Buffer.from('body\nx\ny\n'), { hold: 100 });
  }
  // a JSON body shorter than announced but complete JSON is not run either
  const me = await c.get('/api/me');
  assert.equal(me.status, 200);
  assert.equal(me.data.usage.sms, 0);
});

test('import: BOMs, quotes, newlines, NULs, UTF-16 and CDATA', async () => {
  const c = new Client();
  await c.register(uniq('himp'));
  const up = (body, fmt) => c.req('POST', `/api/import?format=${fmt}`, { body, json: false,
    headers: { 'Content-Type': 'application/octet-stream' } });
  const sms = async () => (await c.get('/api/sms?limit=500')).data.items.map((i) => i.body).sort();
  // CSV: BOM, embedded quotes and newlines, CRLF
  let r = await up('\ufeffbody,peer\r\n"say ""hi""\r\nnext line",+861\r\n"a,b",+862\r\n', 'csv');
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.equal(r.data.imported, 2);
  assert.deepEqual(await sms(), ['a,b', 'say "hi"\r\nnext line']);
  // CSV with a NUL byte, an unterminated quote, invalid UTF-8: nothing more stored
  for (const bad of [Buffer.from('body,peer\nx\0y,+861\n'), Buffer.from('body,peer\n"open,+861\n'),
    Buffer.from([...Buffer.from('body,peer\n'), 0xff, 0xfe, 0x2c, 0x31, 0x0a])]) {
    r = await up(bad, 'csv');
    assert.ok(r.status === 400 || (r.status === 200 && r.data.imported === 0), `${r.status} ${JSON.stringify(r.data)}`);
  }
  assert.equal((await sms()).length, 2);
  // XML: a UTF-8 BOM and CDATA-free attributes import; UTF-16 is refused or read right, never garbled
  r = await up('\ufeff<?xml version="1.0" encoding="UTF-8"?><smses><sms address="+863" date="1700000000000" body="bom ok"/></smses>', 'xml');
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.equal(r.data.imported, 1);
  const u16 = Buffer.from('\ufeff<?xml version="1.0" encoding="UTF-16"?><smses><sms address="+864" date="1700000000000" body="utf16 字"/></smses>', 'utf16le');
  r = await up(u16, 'xml');
  assert.ok(r.status === 400 || r.status === 200, String(r.status));
  if (r.status === 200) assert.ok((await sms()).includes('utf16 字'));
  r = await up('<smses><sms address="+865" date="1700000000000" body="x"><![CDATA[<sms body="smuggled"/>]]></sms></smses>', 'xml');
  assert.ok(r.status === 400 || r.status === 200, String(r.status));
  assert.ok(!(await sms()).includes('smuggled'));
  const bodies = await sms();
  assert.ok(bodies.every((b) => !b.includes('\ufffd') || b === ''), 'no replacement characters from a misread encoding');
  assert.equal((await c.get('/api/me')).status, 200);
});

test('all that match: the first page counts them; delete and export take the whole set', async () => {
  const c = new Client();
  await c.register(uniq('match'));
  let csv = 'date,body\n';
  for (let i = 0; i < 70; i++) csv += `${1700000000 + i * 60},${i < 60 ? 'tea' : 'coffee'} ${i}\n`;
  const imp = await c.post('/api/import?format=csv', csv, { json: false, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(imp.data.imported, 70);
  let page = await c.get('/api/sms?q=tea&limit=10');
  assert.equal(page.data.total, 60);
  assert.equal(page.data.total_capped, false);
  assert.equal(page.data.items.length, 10);
  const upto = page.data.items[0].n;
  const next = await c.get(`/api/sms?q=tea&limit=10&before=${page.data.next_before}`);
  assert.equal(next.data.total, undefined, 'only the first page counts');
  assert.equal((await c.get('/api/sms?q=coffee')).data.total, 10);
  // an SMS that arrives after the list was shown is not taken along
  await c.post('/api/sms', { body: 'tea, arrived later' });
  const exp = await c.post('/api/export', { kind: 'sms', format: 'csv', match: { q: 'tea', upto, except: [upto] } });
  assert.equal(exp.status, 200);
  assert.equal(exp.data.toString().trim().split('\n').length, 60, 'header and 59 rows');
  assert.doesNotMatch(exp.data.toString(), /arrived later|coffee/);
  const del = await c.post('/api/sms/delete', { match: { q: 'tea', upto, except: [upto] } });
  assert.equal(del.status, 200);
  assert.equal(del.data.deleted, 59);
  assert.ok(del.data.freed_bytes > 0);
  assert.equal(del.data.usage.sms, 12);
  page = await c.get('/api/sms?q=tea');
  assert.equal(page.data.total, 2);
  for (const bad of [{ match: { q: 'tea' } }, { match: 'all' }, { match: { upto: 1, except: [0] } },
    { match: { upto: 1, q: 'a b c d e f g h i' } }]) {
    const r = await c.post('/api/sms/delete', bad);
    assert.equal(r.status, 400, JSON.stringify(bad));
  }
  assert.equal((await c.get('/api/me')).data.usage.sms, 12, 'nothing deleted by refused requests');
});

test('a large archive: the first page counts its first 1,000 matches, the whole count is asked after; deep pages and a streamed export of many pages are whole and in order', async () => {
  const c = new Client();
  await c.register(uniq('large'));
  const N = 1300;
  let csv = 'date,body\n';
  for (let i = 0; i < N; i++) csv += `${1700000000 + i * 60},${i % 13 === 0 ? 'coffee' : 'tea'} ${i} <&x>\n`;
  const imp = await c.post('/api/import?format=csv', csv, { json: false, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(imp.data.imported, N);
  const teas = N - Math.ceil(N / 13);
  // more match than the first page counts: it says so, and the count is a request of its own
  const page = await c.get('/api/sms?q=tea&limit=50');
  assert.equal(page.data.items.length, 50);
  assert.equal(page.data.total, 1000);
  assert.equal(page.data.total_more, true);
  const upto = page.data.items[0].n;
  await c.post('/api/sms', { body: 'tea, arrived later' });
  let count = await c.get(`/api/sms?count=1&q=tea&upto=${upto}`);
  assert.equal(count.status, 200);
  assert.deepEqual(count.data, { total: teas, total_capped: false }, 'up to the newest shown: the later one is not counted');
  count = await c.get('/api/sms?count=1');
  assert.deepEqual(count.data, { total: N + 1, total_capped: false });
  assert.equal((await c.get('/api/sms?count=1&upto=x')).status, 400);
  const few = await c.get('/api/sms?q=coffee');
  assert.equal(few.data.total, Math.ceil(N / 13));
  assert.equal(few.data.total_more, false);
  // every page below the one before, newest first, none missed or repeated
  const all = (await c.get('/api/sms?limit=1')).data.items.map((m) => m.n);
  let before = all[0];
  for (;;) {
    const p = await c.get(`/api/sms?limit=500&before=${before}`);
    assert.equal(p.status, 200);
    for (const m of p.data.items) assert.ok(m.n < before);
    all.push(...p.data.items.map((m) => m.n));
    if (!p.data.more) break;
    before = p.data.next_before;
  }
  assert.equal(all.length, N + 1);
  for (let i = 1; i < all.length; i++) assert.ok(all[i] < all[i - 1], 'newest first');
  const deep = await c.get(`/api/sms?limit=7&before=${all[800]}`);
  assert.deepEqual(deep.data.items.map((m) => m.n), all.slice(801, 808));
  // the export of everything is streamed a page at a time: the same bytes as the
  // export of every number named (written whole), the count first, all of them, in order
  for (const format of ['xml', 'csv']) {
    const streamed = await c.post('/api/export', { kind: 'sms', format });
    assert.equal(streamed.status, 200);
    const named = await c.post('/api/export', { kind: 'sms', format, ns: all });
    assert.equal(named.status, 200);
    assert.ok(streamed.data.equals(named.data), `${format}: streamed and named exports differ`);
    const text = streamed.data.toString();
    if (format === 'xml') {
      assert.match(text, new RegExp(`<smses count="${N + 1}" `));
      assert.equal((text.match(/<sms /g) || []).length, N + 1);
      assert.ok(text.endsWith('</smses>\n'));
      const dates = [...text.matchAll(/<sms [^>]* date="(\d+)"/g)].map((m) => Number(m[1]));
      assert.equal(dates.length, N + 1);
      for (let i = 2; i < dates.length; i++) assert.ok(dates[i] < dates[i - 1], 'newest first');
    } else {
      assert.equal(text.trim().split('\n').length, N + 2, 'header and every SMS');
    }
  }
  // all that match a search, across pages, without the exceptions
  const exp = await c.post('/api/export', { kind: 'sms', format: 'xml', match: { q: 'tea', upto, except: [upto] } });
  const text = exp.data.toString();
  assert.match(text, new RegExp(`<smses count="${teas - 1}" `));
  assert.equal((text.match(/<sms /g) || []).length, teas - 1);
  assert.doesNotMatch(text, /arrived later|coffee/);
});

test('the page\'s language: Accept-Language before login, the account\'s LANG choice after', async () => {
  const zh = await fetch(BASE + '/api/page', { headers: { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.8' } });
  assert.equal((await zh.json()).lang, 'zh');
  const en = await (await fetch(BASE + '/api/page', { headers: { 'Accept-Language': 'en-GB,en;q=0.9' } })).json();
  assert.equal(en.lang, 'en');
  assert.equal(en.limits.username_min, 3);
  assert.equal(en.limits.select_max, 100000);
  const c = new Client();
  await c.post('/api/register', { username: uniq('lang'), password: 'password123', lang: 'zh' });
  let me = (await c.get('/api/me')).data;
  assert.equal(me.lang, 'zh');
  assert.equal(me.lang_chosen, false, 'registered in Chinese, not yet chosen');
  const r = await c.post('/api/lang', { lang: 'en' });
  assert.equal(r.status, 200);
  assert.equal(r.data.lang, 'en');
  me = (await c.get('/api/me')).data;
  assert.equal(me.lang_chosen, true, 'the switch is LANG EN: every SMS reply in English from now on');
  assert.equal((await c.post('/api/lang', { lang: 'fr' })).status, 400);
  assert.equal((await new Client().post('/api/lang', { lang: 'en' })).status, 401);
});
