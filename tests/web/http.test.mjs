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
  '/api/import', '/api/export', '/api/send'];
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
  const name = uniq('thr');
  await new Client().register(name);
  const c = new Client();
  const t0 = performance.now();
  const unknown = await c.post('/api/login', { username: uniq('ghost'), password: 'whatever12' });
  const t1 = performance.now();
  const wrong = await c.post('/api/login', { username: name, password: 'whatever12' });
  const t2 = performance.now();
  assert.equal(unknown.status, wrong.status);
  assert.deepEqual(unknown.data, wrong.data);
  const a = t1 - t0, b = t2 - t1;
  assert.ok(Math.max(a, b) / Math.min(a, b) < 4, `timings ${a.toFixed(0)} ms vs ${b.toFixed(0)} ms`);
  let r;
  for (let i = 0; i < 4; i++) r = await c.post('/api/login', { username: name, password: 'whatever12' });
  assert.equal(r.status, 429);
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
  assert.equal((await new Client().post('/api/register', { username: n.toUpperCase(), password: 'password123' })).status, 409);
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

test('send to my phone needs a bound phone; binding starts with a texted code', async () => {
  const c = new Client();
  await c.register(uniq('phone'));
  const n = (await c.post('/api/sms', { body: 'to my phone' })).data.n;
  const s = await c.post('/api/send', { kind: 'sms', ns: [n] });
  assert.equal(s.status, 409);
  assert.equal(s.data.error, 'no_phone');
  assert.equal((await c.post('/api/phone/start', { msisdn: 'abc' })).status, 400);
  assert.equal((await c.post('/api/phone/start', { msisdn: '+8613800000077' })).status, 202);
  assert.equal((await c.post('/api/phone/confirm', { msisdn: '+8613800000077', code: '000000' })).status, 403);
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
