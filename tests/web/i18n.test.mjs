// The page in Chinese and in English (issue 10): every text in both (the
// dictionaries hold the same keys, the page names only keys they hold, and
// a Chinese page shows no English words); the language is the browser's
// Accept-Language before login, the account's after, and the switch on the
// page is the account's LANG choice (kept by the server: a reload keeps it);
// dates in the browser's time zone. Screenshots of both languages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE, uniq } from './helpers.mjs';
import { SHOTS, launch, registerOnPage, importOnPage } from './browser.mjs';

const STATIC = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../web/static');
const { DICTS } = await import(path.join(STATIC, 'js/i18n.js'));

// every parameter a text takes
const P = { n: 2, noun: 'x', q: 'q', name: 'f', date: 'd', peer: 'p', phone: 'p', sms: 1, mms: 1, contacts: 1,
  used: '1 KB', alloc: '2 KB', pct: 5, s: 3, max: 5, min: 5, why: 'w', size: '1 KB', bytes: '1 KB', phones: 'p',
  detail: 'd', wait: '3 s', prefixes: '86', username_min: 3, username_max: 32, password_min: 8, password_max: 128, phone_digits_min: 5,
  phone_digits_max: 20, contact_digits_min: 3, all: true, capped: false, state: 'queued', reason: 'r' };
const text = (v) => (typeof v === 'function' ? v(P) : v);

test('both dictionaries hold the same texts, and the page names only those', () => {
  const en = Object.keys(DICTS.en).sort(), zh = Object.keys(DICTS.zh).sort();
  assert.deepEqual(zh, en);
  for (const k of en) for (const l of ['en', 'zh']) {
    const s = text(DICTS[l][k]);
    assert.ok(typeof s === 'string' && s.length > 0 && !s.includes('undefined'), `${l}.${k}: ${s}`);
  }
  const html = fs.readFileSync(path.join(STATIC, 'index.html'), 'utf8');
  for (const m of html.matchAll(/data-i18n(?:-ph|-aria|-title)?="([^"]+)"/g)) assert.ok(m[1] in DICTS.en, m[1]);
  for (const f of ['app.js', 'lists.js']) {
    const js = fs.readFileSync(path.join(STATIC, 'js', f), 'utf8');
    for (const m of js.matchAll(/\bt\('([a-z0-9_]+)'/g)) assert.ok(m[1] in DICTS.en, `${f}: ${m[1]}`);
  }
  // Chinese texts use full-width punctuation
  for (const [k, v] of Object.entries(DICTS.zh)) {
    const s = text(v);
    assert.doesNotMatch(s, /[\u4e00-\u9fff][,;:!?()]|[,;:!?(][\u4e00-\u9fff]/, `zh.${k}: ${s}`);
  }
});

function backup() {
  // 2024-05-01T00:00:00Z: 08:00 in Shanghai, 20:00 the day before in New York
  return `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count="3">
  <sms protocol="0" address="+8613800138000" date="1714521600000" type="1" subject="null" body="明天见" toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" date_sent="1714521590000" readable_date="May 1, 2024 08:00:00" contact_name="张三" />
  <sms protocol="0" address="+8613900139000" date="1714525200000" type="2" subject="null" body="好的，谢谢" toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" date_sent="0" readable_date="May 1, 2024 09:00:00" contact_name="(Unknown)" />
  <mms date="1714528800000" ct_t="application/vnd.wap.multipart.related" msg_box="1" address="+8613600136000" sub="照片" m_type="132">
    <parts><part seq="0" ct="text/plain" name="null" chset="106" cl="t.txt" text="看" /></parts>
    <addrs><addr address="+8613600136000" type="137" charset="106" /></addrs>
  </mms>\n</smses>\n`;
}

// Words of three or more Latin letters the page shows that are not names,
// numbers or format names: what a Chinese page must not show.
async function englishWords(page, user) {
  const text = await page.evaluate(() => document.body.innerText);
  const allowed = new Set(['smsvault', 'GMT', 'SMS', 'MMS', 'XML', 'CSV', 'vCard', 'vcf', 'SMIL', 'Backup', 'Restore', 'body',
    'name', 'number', 'English', user]);
  return (text.match(/[A-Za-z]{3,}/g) || []).filter((w) => !allowed.has(w) && !user.includes(w));
}

let b;
after(async () => { await b?.close(); });

test('a Chinese browser: the login page in Chinese, the account registered in Chinese, dates in Shanghai time', async () => {
  b = await launch({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = b.page;
  const user = uniq('zh');
  await page.goto(BASE + '/');
  await page.waitForSelector('#view-auth:not([hidden])');
  assert.equal(await page.textContent('[data-auth="login"]'), '登录');
  assert.equal(await page.textContent('#btn-lang'), 'English');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.deepEqual(await englishWords(page, user), []);
  await page.screenshot({ path: path.join(SHOTS, 'zh-login.png') });
  await registerOnPage(page, BASE, user);
  assert.match(await importOnPage(page, 'zh.xml', backup()), /^已导入 3 项：短信 2 条，彩信 1 条$/);
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 2);
  assert.equal(await page.textContent('[data-kind="sms"] [data-i18n]'), '短信');
  assert.equal(await page.textContent('#btn-upload'), '⬆ 上传');
  assert.match(await page.textContent('#usage-text'), /^已用 .+，共 .+（.+%）$/);
  // the list: the contact's name, the direction, the date in the browser's zone
  const first = page.locator('#items .item').nth(1);
  assert.equal(await first.locator('.title').textContent(), '↙张三');
  assert.equal(await first.locator('.dir').getAttribute('title'), '收到');
  assert.equal(await first.locator('.date').textContent(), '2024-05-01 08:00');
  assert.equal(await page.locator('#items .item').nth(0).locator('.dir').getAttribute('title'), '已发送');
  await first.click();
  await page.waitForSelector('#preview-text');
  assert.match(await page.textContent('#preview-dir'), /收到 · 来自 张三 \+8613800138000/);
  assert.match(await page.textContent('#preview-meta'), /2024年5月1日.*08:00:00/);
  assert.deepEqual(await englishWords(page, user), []);
  await page.screenshot({ path: path.join(SHOTS, 'zh-sms.png') });
  assert.deepEqual((await page.evaluate(async () => (await fetch('/api/me')).json())).lang, 'zh');
});

test('the switch is the account\'s LANG choice: English now, after a reload too', async () => {
  const page = b.page;
  await page.click('#btn-lang');
  await page.waitForFunction(() => document.getElementById('btn-lang').textContent === '中文');
  await page.waitForFunction(() => /Received/.test(document.getElementById('preview-dir')?.textContent));
  assert.equal(await page.textContent('#btn-upload'), '⬆ Upload');
  assert.equal(await page.textContent('[data-kind="sms"] [data-i18n]'), 'SMS');
  assert.equal(await page.locator('#items .item').nth(1).locator('.dir').getAttribute('title'), 'Received');
  assert.match(await page.textContent('#preview-dir'), /Received · From 张三/);
  const me = await page.evaluate(async () => (await fetch('/api/me')).json());
  assert.equal(me.lang, 'en');
  assert.equal(me.lang_chosen, true, 'chosen, as SMS LANG EN would');
  await page.reload();
  await page.waitForSelector('#view-home:not([hidden])');
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 2);
  assert.equal(await page.textContent('#btn-upload'), '⬆ Upload', 'the account\'s language, whatever the browser says');
  await page.click('[data-kind="mms"]');
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 1);
  await page.locator('#items .item').first().click();
  await page.waitForSelector('#preview h3');
  assert.match(await page.textContent('#preview-meta'), /10:00:00/, 'an MMS preview has its date');
  await page.screenshot({ path: path.join(SHOTS, 'en-mms.png') });
  // back to Chinese for the screenshot of the MMS
  await page.click('#btn-lang');
  await page.waitForFunction(() => document.getElementById('btn-upload').textContent === '⬆ 上传');
  await page.waitForFunction(() => /收到/.test(document.getElementById('preview-dir')?.textContent));
  await page.screenshot({ path: path.join(SHOTS, 'zh-mms.png') });
  assert.deepEqual(b.errors, []);
  await b.close();
  b = null;
});

test('an English browser in New York: English before login, dates in its zone', async () => {
  b = await launch({ locale: 'en-US', timezoneId: 'America/New_York' });
  const page = b.page;
  const user = uniq('en');
  await page.goto(BASE + '/');
  await page.waitForSelector('#view-auth:not([hidden])');
  assert.equal(await page.textContent('[data-auth="login"]'), 'Log in');
  assert.equal(await page.textContent('#btn-lang'), '中文');
  await registerOnPage(page, BASE, user);
  assert.match(await importOnPage(page, 'en.xml', backup()), /^Imported 3: 2 SMS, 1 MMS$/);
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 2);
  assert.equal(await page.locator('#items .item').nth(1).locator('.date').textContent(), '2024-04-30 20:00');
  // a wrong password in Chinese, before login
  await page.click('#btn-logout');
  await page.waitForSelector('#view-auth:not([hidden])');
  await page.click('#btn-lang');
  await page.fill('#auth-user', user);
  await page.fill('#auth-pass', 'wrong-password');
  await page.click('#auth-submit');
  await page.waitForFunction(() => document.getElementById('auth-msg').textContent.length > 0);
  assert.equal(await page.textContent('#auth-msg'), '用户名或密码错误。');
  // logging in brings the account's language back (English: registered so)
  await page.fill('#auth-pass', 'password123');
  await page.click('#auth-submit');
  await page.waitForSelector('#view-home:not([hidden])');
  assert.equal(await page.textContent('#btn-upload'), '⬆ Upload');
  assert.deepEqual(b.errors, []);
});
