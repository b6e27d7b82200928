// conf/nginx-smsvault.conf in front of vaultweb (issue 13, issue 11 point 4):
// Debian's nginx started here on loopback with the shipped site file (only
// ports, certificate paths and the upstream port changed, each change checked
// to apply), TLS with the suite's test CA. The page and API work through it,
// the session cookie is Secure, vaultweb sees the browser's address and not
// the one a client writes into X-Forwarded-For, a direct client that is not
// the proxy cannot pass itself off as another address or as HTTPS, and
// framing shapes vaultweb cannot see itself (bare LF, NUL, obs-fold) never
// smuggle a request past nginx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import https from 'node:https';
import { spawn, execFileSync } from 'node:child_process';
import { BASE, Client, uniq, rawExchange } from './helpers.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const WORK = process.env.SV_WEB_WORK;
const LOG = process.env.SV_WEB_LOG;
const CA = fs.readFileSync(path.join(WORK, 'ca.pem'));
let nginx, front, httpPort;

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});

function sub(text, from, to) {
  const n = text.split(from).length - 1;
  assert.equal(n, 1, `conf/nginx-smsvault.conf: expected one "${from}"`);
  return text.replace(from, to);
}

function req(method, p, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const r = https.request(front + p, { method, ca: CA, headers, servername: 'localhost' }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        let data = text;
        try { data = JSON.parse(text); } catch { /* a page */ }
        resolve({ status: res.statusCode, headers: res.headers, data });
      });
    });
    r.on('error', reject);
    if (body !== undefined) r.end(typeof body === 'string' ? body : JSON.stringify(body)); else r.end();
  });
}
const api = (cookie) => ({ 'Content-Type': 'application/json', 'X-Smsvault-Csrf': '1', ...(cookie ? { Cookie: cookie } : {}) });
const logClients = () => [...fs.readFileSync(LOG, 'utf8').matchAll(/client=(\S+)/g)].map((m) => m[1]);

before(async () => {
  const webPort = Number(process.env.SV_WEB_PORT);
  const httpsPort = await freePort();
  httpPort = await freePort();
  let site = fs.readFileSync(path.join(ROOT, 'conf/nginx-smsvault.conf'), 'utf8');
  site = sub(site, 'server 127.0.0.1:8080;', `server 127.0.0.1:${webPort};`);
  site = sub(site, 'listen 80;\n    listen [::]:80;', `listen 127.0.0.1:${httpPort};`);
  site = sub(site, 'listen 443 ssl http2;\n    listen [::]:443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`);
  site = sub(site, '/etc/letsencrypt/live/sms.example.org/fullchain.pem', path.join(WORK, 'server.pem'));
  site = sub(site, '/etc/letsencrypt/live/sms.example.org/privkey.pem', path.join(WORK, 'server.key'));
  fs.writeFileSync(path.join(WORK, 'site.conf'), site);
  const t = (d) => path.join(WORK, 'nginx-tmp', d);
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(t(d), { recursive: true });
  fs.writeFileSync(path.join(WORK, 'nginx-main.conf'), `
${process.getuid() === 0 ? 'user root;' : ''}
daemon off;
worker_processes 1;
pid ${path.join(WORK, 'nginx.pid')};
error_log ${path.join(WORK, 'nginx-error.log')} info;
events { worker_connections 256; }
http {
  access_log ${path.join(WORK, 'nginx-access.log')};
  client_body_temp_path ${t('body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  include ${path.join(WORK, 'site.conf')};
}
`);
  const args = ['-p', WORK, '-e', path.join(WORK, 'nginx-error.log'), '-c', path.join(WORK, 'nginx-main.conf')];
  execFileSync('nginx', [...args, '-t'], { stdio: 'pipe' });
  nginx = spawn('nginx', args, { stdio: 'ignore' });
  front = `https://127.0.0.1:${httpsPort}`;
  const end = Date.now() + 15000;
  for (;;) {
    try { if ((await req('GET', '/')).status === 200) break; } catch { /* not yet */ }
    if (Date.now() > end) throw new Error('nginx did not answer');
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(() => {
  if (nginx && nginx.exitCode === null) nginx.kill('SIGTERM');
});

test('through nginx: the page over HTTPS, a Secure cookie, the real client address', async () => {
  const page = await req('GET', '/');
  assert.equal(page.status, 200);
  assert.match(page.headers['strict-transport-security'], /max-age/);
  const plain = await new Promise((resolve) => net.connect(httpPort, '127.0.0.1', function () {
    this.end('GET /x HTTP/1.1\r\nHost: sms.example.org\r\n\r\n');
    let t = ''; this.on('data', (d) => { t += d; }); this.on('end', () => resolve(t));
  }));
  assert.match(plain, /^HTTP\/1\.1 301[\s\S]*Location: https:\/\/sms\.example\.org\/x/);
  const before = logClients().length;
  const reg = await req('POST', '/api/register', { headers: { ...api(), 'X-Forwarded-For': '6.6.6.6', 'X-Real-IP': '6.6.6.6' },
    body: { username: uniq('ngx'), password: 'password123' } });
  assert.equal(reg.status, 201);
  assert.match(reg.headers['set-cookie'][0], /;\s*Secure/);
  const cookie = /sv_session=[0-9a-f]+/.exec(reg.headers['set-cookie'][0])[0];
  const me = await req('GET', '/api/me', { headers: { Cookie: cookie, 'X-Forwarded-For': '6.6.6.6, 7.7.7.7' } });
  assert.equal(me.status, 200);
  const seen = logClients().slice(before);
  assert.ok(seen.length >= 2, JSON.stringify(seen));
  assert.ok(seen.every((c) => c === '127.0.0.1'), `vaultweb saw the browser (127.0.0.1), not what it wrote: ${seen}`);
});

test('directly, from an address that is not a trusted proxy: forwarded headers are ignored', async () => {
  const before = logClients().length;
  const u = new URL(BASE);
  const body = JSON.stringify({ username: uniq('direct'), password: 'password123' });
  const r = await rawExchange(`POST /api/register HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\n` +
    'X-Smsvault-Csrf: 1\r\nX-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n' +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`, { localAddress: '127.0.0.7' });
  assert.deepEqual(r.statuses, [201]);
  assert.doesNotMatch(/set-cookie:[^\r]*/i.exec(r.text)[0], /Secure/, 'not HTTPS, whatever the client says');
  assert.deepEqual(logClients().slice(before), ['127.0.0.7']);
  // The proxy's own word is believed: from 127.0.0.1, the right-most address it adds.
  const c = new Client();
  const before2 = logClients().length;
  await c.get('/api/me', { headers: { 'X-Forwarded-For': '9.9.9.9, 5.5.5.5' } });
  assert.deepEqual(logClients().slice(before2), ['5.5.5.5']);
});

test('framing shapes vaultweb cannot see itself do not smuggle a request past nginx', async () => {
  // Smuggling is vaultweb running a request nginx did not see as one. Each
  // shape hides a second POST where nginx reads a body; whatever nginx makes
  // of it (a 400, or one request with an odd body), vaultweb must have
  // have run no more POSTs than nginx logged.
  const c = new Client();
  await c.register(uniq('ngxframe'));
  const json = (t) => `{"body":"${t}"}`;
  const head = (eol, extra) => ['POST /api/sms HTTP/1.1', 'Host: sms.example.org', `Cookie: ${c.cookie}`,
    'X-Smsvault-Csrf: 1', 'Content-Type: application/json', ...extra].join(eol) + eol + eol;
  const hidden = head('\r\n', [`Content-Length: ${json('smuggled').length}`]) + json('smuggled');
  const inner = json('one') + hidden;
  const n = inner.length;
  const chunk = `${json('one').length.toString(16)}\r\n${json('one')}\r\n0\r\n\r\n`;
  const shapes = [
    ['bare LF', head('\n', [`Content-Length: ${n}`]) + inner],
    ['NUL in Content-Length', head('\r\n', [`Content-Length: ${json('one').length}\x00${n}`]) + inner],
    ['NUL in a value', head('\r\n', ['X-Note: a\x00Transfer-Encoding: chunked', `Content-Length: ${n}`]) + inner],
    ['obs-fold Transfer-Encoding', head('\r\n', ['Transfer-Encoding:', ' chunked', `Content-Length: ${chunk.length + hidden.length}`]) + chunk + hidden],
    ['CL.TE', head('\r\n', [`Content-Length: ${chunk.length + hidden.length}`, 'Transfer-Encoding: chunked']) + chunk + hidden],
    ['space before colon', head('\r\n', ['Transfer-Encoding : chunked', `Content-Length: ${chunk.length + hidden.length}`]) + chunk + hidden],
  ];
  const countNginx = () => (fs.readFileSync(path.join(WORK, 'nginx-access.log'), 'utf8').match(/"POST \/api\/sms /g) || []).length;
  const countWeb = () => (fs.readFileSync(LOG, 'utf8').match(/method=POST path=\/api\/sms /g) || []).length;
  for (const [name, bytes] of shapes) {
    const n0 = countNginx(), w0 = countWeb();
    const r = await rawExchange(bytes, { url: front, ca: CA });
    assert.ok(r.statuses.length >= 1, `${name}: no answer`);
    const web = countWeb() - w0, seen = countNginx() - n0;   // nginx logs its own refusals too
    assert.ok(web <= seen, `${name}: vaultweb ran ${web} POSTs, nginx saw ${seen} (${r.statuses})`);
  }
  const items = (await c.get('/api/sms')).data.items;
  assert.ok(!JSON.stringify(items).includes('smuggled'), `a smuggled request ran: ${JSON.stringify(items)}`);
});
