// helpers — shared by the HTTP and browser tests: the server URL, a tiny
// cookie-keeping client, unique user names, and a PNG maker.
import zlib from 'node:zlib';

export const BASE = process.env.SV_WEB_URL;
if (!BASE) throw new Error('SV_WEB_URL is not set (run through tests/web/run.sh)');

export const uniq = (p) => `${p}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

export class Client {
  constructor() { this.cookie = ''; }
  async req(method, path, { body, headers = {}, json = true, csrf = true } = {}) {
    const h = { ...headers };
    if (this.cookie) h.Cookie = this.cookie;
    if (method !== 'GET' && csrf && !('X-Smsvault-Csrf' in h)) h['X-Smsvault-Csrf'] = '1';
    if (body !== undefined && json && !('Content-Type' in h)) h['Content-Type'] = 'application/json';
    const res = await fetch(BASE + path, {
      method, headers: h, body: body === undefined ? undefined : (json && typeof body !== 'string' ? JSON.stringify(body) : body),
    });
    const set = res.headers.get('set-cookie');
    if (set) {
      const m = /sv_session=([^;]*)/.exec(set);
      if (m) this.cookie = m[1] ? `sv_session=${m[1]}` : '';
    }
    const type = res.headers.get('content-type') || '';
    const data = type.startsWith('application/json') ? await res.json() : Buffer.from(await res.arrayBuffer());
    return { status: res.status, data, headers: res.headers, setCookie: set };
  }
  get(path, o) { return this.req('GET', path, o); }
  post(path, body, o = {}) { return this.req('POST', path, { ...o, body }); }
  async register(username, password = 'password123') {
    const r = await this.post('/api/register', { username, password });
    if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${JSON.stringify(r.data)}`);
    return r;
  }
}

// In the page: register `user` from the login view and wait for the home view.
export async function pageRegister(page, user, password = 'password123') {
  await page.waitForSelector('#view-auth:not([hidden])');
  await page.click('[data-auth="register"]');
  await page.fill('#auth-user', user);
  await page.fill('#auth-pass', password);
  await page.click('#auth-submit');
  await page.waitForSelector('#view-home:not([hidden])');
}

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

// A w×h PNG: a two-colour diagonal so it is visibly an image.
export function makePng(w, h, [r1, g1, b1] = [37, 99, 235], [r2, g2, b2] = [250, 204, 21]) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      const a = x + y < (w + h) / 2;
      raw[o] = a ? r1 : r2; raw[o + 1] = a ? g1 : g2; raw[o + 2] = a ? b1 : b2;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// ---- raw sockets: what fetch will not send ----

import net from 'node:net';
import tls from 'node:tls';

// One raw exchange: write `bytes` (a string is sent as latin1, "\n" kept as
// is), then read until the server closes or `wait` ms pass with the socket
// silent. Resolves with every status code the server sent (in order), the
// raw answer, and whether the server closed the connection.
// opts: { wait, localAddress, url, ca, chunks: [[delayMs, bytes]...] }
export function rawExchange(bytes, { wait = 1500, localAddress, url = BASE, ca, chunks = [] } = {}) {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const s = u.protocol === 'https:'
      ? tls.connect({ port, host: u.hostname, ca, servername: 'localhost', localAddress })
      : net.connect({ port, host: u.hostname, localAddress });
    let got = Buffer.alloc(0), done = false, closed = false, timer = null;
    const timers = [];
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      timers.forEach(clearTimeout);
      s.destroy();
      const text = got.toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ statuses, text, closed });
    };
    const arm = () => { clearTimeout(timer); timer = setTimeout(finish, wait); };
    s.on('data', (d) => { got = Buffer.concat([got, d]); arm(); });
    s.on('end', () => { closed = true; finish(); });
    s.on('close', () => { closed = true; finish(); });
    s.on('error', () => { closed = true; finish(); });
    s.once(u.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      s.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
      let at = 0;
      for (const [delay, more] of chunks) {
        at += delay;
        timers.push(setTimeout(() => { if (!done) { s.write(typeof more === 'string' ? Buffer.from(more, 'latin1') : more); arm(); } }, at));
      }
      arm();
    });
  });
}
