// vaultweb serving HTTPS itself (issue 13): a CA made by tls.setup.sh for
// this run, trusted by Debian's Chromium through an NSS database of its own
// (never --ignore-certificate-errors), the page used over HTTPS, a Secure
// session cookie, HSTS, and the certificate swapped on SIGHUP without a
// restart (a broken one on SIGHUP keeps the old).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { BASE, Client, uniq, pageRegister } from './helpers.mjs';

const WORK = process.env.SV_WEB_WORK;
const CA = fs.readFileSync(process.env.SV_WEB_CA);
const PID = Number(process.env.SV_WEB_PID);
const u = new URL(BASE);
let ctx, page, home;

// The certificate a fresh, CA-verified TLS connection is shown.
function servedCert() {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: CA, servername: 'localhost' }, () => {
      const c = s.getPeerCertificate();
      s.end();
      resolve(c);
    });
    s.on('error', reject);
  });
}

async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  assert.equal(u.protocol, 'https:');
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'smsvault-tls-home-'));
  const db = path.join(home, '.pki', 'nssdb');
  fs.mkdirSync(db, { recursive: true });
  execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'smsvault test CA', '-i', process.env.SV_WEB_CA]);
  ctx = await chromium.launchPersistentContext(path.join(home, 'profile'), {
    executablePath: '/usr/bin/chromium', headless: true, env: { ...process.env, HOME: home },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = ctx.pages()[0] || await ctx.newPage();
});

after(async () => {
  await ctx?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

test('HTTPS: the certificate chains to the test CA; HSTS; a Secure session cookie', async () => {
  const c = await servedCert();
  assert.equal(c.subject.CN, 'smsvault server');
  const r = await fetch(BASE + '/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('strict-transport-security'), /max-age=\d+/);
  const reg = await new Client().register(uniq('tls'));
  assert.match(reg.setCookie, /;\s*Secure/);
  assert.match(reg.setCookie, /HttpOnly/);
  // Without the CA the certificate is refused (it is not a public one).
  await assert.rejects(new Promise((resolve, reject) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: [], servername: 'localhost' }, resolve);
    s.on('error', reject);
  }));
});

test('the page in Chromium over HTTPS: trusted, secure context, Secure cookie', async () => {
  const user = uniq('tlsweb');
  const resp = await page.goto(BASE + '/');
  assert.equal(resp.status(), 200);
  assert.equal(await page.evaluate(() => window.isSecureContext), true);
  const sec = await resp.securityDetails();   // a page load, not an interstitial: the CA is trusted
  assert.equal(sec.issuer, (await servedCert()).issuer.CN);
  await pageRegister(page, user);
  assert.equal(await page.textContent('#who-name'), user);
  const c = (await ctx.cookies()).find((x) => x.name === 'sv_session');
  assert.ok(c && c.secure && c.httpOnly, JSON.stringify(c));
  fs.mkdirSync(process.env.SV_WEB_SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(process.env.SV_WEB_SHOTS, 'https-home.png') });
});

test('SIGHUP: a new certificate is served without a restart; a broken one keeps the old', async () => {
  const keep = new Client();
  await keep.register(uniq('hup'));
  fs.copyFileSync(path.join(WORK, 'next.pem'), path.join(WORK, 'live.pem'));
  fs.copyFileSync(path.join(WORK, 'next.key'), path.join(WORK, 'live.key'));
  process.kill(PID, 'SIGHUP');
  await until('the new certificate', async () => (await servedCert()).subject.CN === 'smsvault next');
  assert.equal((await keep.get('/api/me')).status, 200, 'the session and the process are the same');
  process.kill(PID, 0);
  // A certificate whose key is another's: refused, the old pair stays.
  fs.copyFileSync(path.join(WORK, 'server.pem'), path.join(WORK, 'live.pem'));
  process.kill(PID, 'SIGHUP');
  await until('the refusal in the log', () => /tls reload failed/.test(fs.readFileSync(process.env.SV_WEB_LOG, 'utf8')));
  assert.equal((await servedCert()).subject.CN, 'smsvault next');
  assert.equal((await keep.get('/api/me')).status, 200);
  // Put a good pair back so the server ends as it started.
  fs.copyFileSync(path.join(WORK, 'next.pem'), path.join(WORK, 'live.pem'));
});
