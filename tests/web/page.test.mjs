// Browser tests: Debian's headless Chromium (never a downloaded browser)
// driven by playwright-core against a running vaultweb. A person's path:
// register, log in, import an SMS Backup & Restore XML with Chinese and
// emoji, see it listed, preview, search, multi-select delete, export XML
// and import it again without duplicates, MMS with its image, contacts with
// the current number marked, script-looking text shown as text. A
// screenshot of each list is saved in SV_WEB_SHOTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { BASE, uniq, makePng, pageRegister } from './helpers.mjs';

const SHOTS = process.env.SV_WEB_SHOTS || path.join(os.tmpdir(), 'smsvault-shots');
const WORK = process.env.SV_WEB_WORK || os.tmpdir();
let ctx, page, profile;
const errors = [];
const user = uniq('web');
const HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';

function backupXml() {
  const png = makePng(160, 100).toString('base64');
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const sms = [
    ['+8613800138000', 1714550400000, '你好！明天下午三点开会 &#55357;&#56832;'],
    ['+8613900139000', 1714636800000, '生日快乐 &#55356;&#57218; happy birthday'],
    ['10086', 1714723200000, '您的话费余额为 23.50 元'],
    ['+15551234567', 1714809600000, 'See you at the station at 8'],
    ['+8613700137000', 1714896000000, esc(HOSTILE)],
  ];
  let xml = `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count="${sms.length + 1}">\n`;
  for (const [a, d, b] of sms) xml += `  <sms protocol="0" address="${a}" date="${d}" type="1" subject="null" body="${b}" toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" />\n`;
  xml += `  <mms date="1714982400000" ct_t="application/vnd.wap.multipart.related" msg_box="1" address="+8613600136000" sub="旅行照片" m_type="132">
    <parts>
      <part seq="-1" ct="application/smil" name="null" text="&lt;smil&gt;&lt;/smil&gt;" />
      <part seq="0" ct="text/plain" name="null" chset="106" cl="text0.txt" text="看，西湖 &#55357;&#56847;" />
      <part seq="1" ct="image/png" name="lake.png" cl="lake.png" data="${png}" />
    </parts>
    <addrs><addr address="+8613600136000" type="137" charset="106" /></addrs>
  </mms>\n</smses>\n`;
  return xml;
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'smsvault-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
});

after(async () => {
  await ctx?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

async function rows() { return page.locator('#items .item').count(); }
async function importFile(name, content) {
  const file = path.join(WORK, name);
  fs.writeFileSync(file, content);
  await page.click('#btn-upload');
  await page.setInputFiles('#up-file', file);
  await page.waitForFunction(() => /Imported|Not imported|Refused/.test(document.getElementById('up-msg').textContent));
  const msg = await page.textContent('#up-msg');
  await page.click('#up-close');
  return msg;
}
async function tab(kind) {
  await page.click(`[data-kind="${kind}"]`);
  await page.waitForFunction(() => !document.querySelector('#items').dataset.loading);
  await page.waitForTimeout(300);
}

test('register, log out, log in', async () => {
  await page.goto(BASE + '/');
  await pageRegister(page, user);
  assert.equal(await page.textContent('#who-name'), user);
  await page.click('#btn-logout');
  await page.waitForSelector('#view-auth:not([hidden])');
  await page.fill('#auth-user', user);
  await page.fill('#auth-pass', 'wrong-password');
  await page.click('#auth-submit');
  await page.waitForFunction(() => document.getElementById('auth-msg').textContent.length > 0);
  assert.match(await page.textContent('#auth-msg'), /Wrong/);
  await page.fill('#auth-pass', 'password123');
  await page.click('#auth-submit');
  await page.waitForSelector('#view-home:not([hidden])');
  const cookies = await ctx.cookies();
  const c = cookies.find((x) => x.name === 'sv_session');
  assert.ok(c.httpOnly);
  assert.equal(c.sameSite, 'Strict');
});

test('import an XML backup with Chinese and emoji; list, preview, text stays text', async () => {
  const msg = await importFile('backup.xml', backupXml());
  assert.match(msg, /Imported 6/);
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 5);
  const titles = await page.locator('#items .item .snippet').allTextContents();
  assert.equal(titles[0], HOSTILE, 'newest first, shown as text');
  assert.ok(titles.includes('你好！明天下午三点开会 😀'), titles.join(' | '));
  assert.ok(titles.includes('生日快乐 🎂 happy birthday'));
  await page.locator('#items .item', { hasText: '你好' }).click();
  await page.waitForSelector('#preview-text');
  assert.equal(await page.textContent('#preview-text'), '你好！明天下午三点开会 😀');
  await page.locator('#items .item').first().click();
  await page.waitForFunction((h) => document.getElementById('preview-text')?.textContent === h, HOSTILE);
  assert.equal(await page.locator('#preview img, #items img').count(), 0, 'no element made from message text');
  assert.equal(await page.evaluate(() => window.pwned), undefined, 'no script ran');
  assert.match(await page.textContent('#usage-text'), /used of/);
  await page.screenshot({ path: path.join(SHOTS, 'sms.png') });
});

test('search', async () => {
  await page.fill('#search', '生日');
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 1);
  assert.match(await page.textContent('#items .item .snippet'), /生日快乐/);
  await page.fill('#search', 'nothing-like-this');
  await page.waitForSelector('#empty:not([hidden])');
  await page.fill('#search', '');
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 5);
});

test('export XML and import it again: nothing duplicated', async () => {
  await page.click('#btn-download');
  assert.ok(await page.isChecked('#dl-all'), 'nothing selected: everything');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dl-go')]);
  const file = path.join(WORK, 'exported.xml');
  await dl.saveAs(file);
  await page.click('#dlg-download button[value="close"]');
  const text = fs.readFileSync(file, 'utf8');
  assert.match(text, /<smses count="5"/);
  assert.match(text, /生日快乐 🎂/);
  const msg = await importFile('exported.xml', text);
  assert.match(msg, /Imported 0/);
  assert.match(msg, /5 already stored/);
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 5);
});

test('multi-select delete, confirmed, freed space shown', async () => {
  const before = await rows();
  await page.locator('#items .item input').nth(1).check();
  await page.locator('#items .item input').nth(2).check();
  assert.equal(await page.textContent('#sel-count'), '2 selected');
  await page.click('#btn-delete');
  await page.waitForSelector('#dlg-confirm[open]');
  assert.match(await page.textContent('#cf-title'), /Delete 2/);
  await page.click('#cf-ok');
  await page.waitForSelector('#toast:not([hidden])');
  assert.match(await page.textContent('#toast'), /Deleted 2 · freed \d/);
  assert.equal(await rows(), before - 2);
  // Select-all then cancel deletes nothing.
  await page.check('#sel-all');
  assert.equal(await page.textContent('#sel-count'), `${before - 2} selected`);
  await page.click('#btn-delete');
  await page.click('#dlg-confirm button[value="cancel"]');
  assert.equal(await rows(), before - 2);
  await page.uncheck('#sel-all');
});

test('type an SMS on the page', async () => {
  await page.click('#btn-upload');
  await page.fill('#up-peer', '+8613811112222');
  await page.fill('#up-body', '手动输入的短信 ✓');
  await page.click('#up-save');
  await page.waitForFunction(() => /Saved as/.test(document.getElementById('up-msg').textContent));
  await page.click('#up-close');
  await page.waitForFunction(() => document.querySelector('#items .item .snippet')?.textContent === '手动输入的短信 ✓');
});

test('MMS: listed, preview shows its image and text', async () => {
  await tab('mms');
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 1);
  await page.locator('#items .item').first().click();
  await page.waitForSelector('#preview img');
  await page.waitForFunction(() => document.querySelector('#preview img').naturalWidth === 160);
  assert.match(await page.textContent('#preview'), /看，西湖 😏/);
  assert.match(await page.textContent('#preview h3'), /旅行照片/);
  await page.screenshot({ path: path.join(SHOTS, 'mms.png') });
});

test('contacts: people, not rows — vCard import, the newest upload is the current number', async () => {
  await tab('contacts');
  const vcf = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张三\r\nTEL;TYPE=CELL:+8613800000001\r\nEND:VCARD\r\n' +
    'BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Li Lei\r\nTEL;CELL:+8613800000003\r\nEND:VCARD\r\n';
  assert.match(await importFile('contacts.vcf', vcf), /Imported 2/);
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 2);
  // A newer number for the same person.
  await page.click('#btn-upload');
  await page.fill('#up-name', '张三');
  await page.fill('#up-number', '+8613900000002');
  await page.click('#up-save');
  await page.waitForFunction(() => /Saved as/.test(document.getElementById('up-msg').textContent));
  await page.click('#up-close');
  // people, not rows (issue 10): still two people, 张三 now with two numbers
  await page.waitForFunction(() => /\+8613900000002/.test(document.getElementById('items').textContent));
  assert.equal(await page.locator('#items .item').count(), 2);
  assert.equal(await page.textContent('#count-contacts'), '(2)');
  assert.match(await page.textContent('#items .item:has-text("张三")'), /\+1 older/);
  await page.locator('#items .item', { hasText: '+8613900000002' }).click();
  await page.waitForSelector('.numbers li');
  const current = await page.textContent('.numbers li.current');
  assert.match(current, /\+8613900000002/);
  assert.match(current, /current number/);
  assert.equal(await page.locator('.numbers li').count(), 2);
  assert.match(await page.textContent('.numbers li:not(.current)'), /\+8613800000001/);
  await page.screenshot({ path: path.join(SHOTS, 'contacts.png') });
});

test('send to my phone without a linked phone says what to do', async () => {
  await tab('sms');
  await page.locator('#items .item input').first().check();
  await page.click('#btn-download');
  await page.click('#dl-phone');
  await page.waitForFunction(() => document.getElementById('dl-msg').textContent.length > 0);
  assert.match(await page.textContent('#dl-msg'), /Link a phone/);
  await page.click('#dlg-download button[value="close"]');
});

test('an MMS made on the page, sent: its date in its preview, the arrow says it went out', async () => {
  await tab('mms');
  await page.click('#btn-upload');
  await page.selectOption('#up-dir', '2');
  await page.fill('#up-peer', '+8613544445555');
  await page.fill('#up-subject', '周末');
  await page.fill('#up-text', '去爬山吗？');
  await page.click('#up-save');
  await page.waitForFunction(() => /Saved as/.test(document.getElementById('up-msg').textContent));
  await page.click('#up-close');
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 2);
  const row = page.locator('#items .item', { hasText: '周末' });
  assert.equal(await row.locator('.dir').getAttribute('title'), 'Sent');
  const listed = await row.locator('.date').textContent();
  assert.match(listed, /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  await row.click();
  await page.waitForFunction(() => /周末/.test(document.querySelector('#preview h3')?.textContent));
  const meta = await page.textContent('#preview-meta');
  assert.doesNotMatch(meta, /date unknown/);
  assert.match(meta, new RegExp(listed.slice(11)), 'the time the list shows');
  assert.match(await page.textContent('#preview-dir'), /Sent · To \+8613544445555/);
});

test('"Uploading…" is news, not an error; the summary splits SMS and MMS', async () => {
  await tab('sms');
  // hold the upload until the message has been looked at
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/api/import*', async (route) => { await held; await route.continue(); });
  const file = path.join(WORK, 'held.xml');
  fs.writeFileSync(file, backupXml().replace(/1714/g, '1715'));
  await page.click('#btn-upload');
  await page.setInputFiles('#up-file', file);
  await page.waitForFunction(() => /Uploading|Saving/.test(document.getElementById('up-msg').textContent));
  const colours = await page.evaluate(() => {
    const m = document.getElementById('up-msg');
    const probe = document.createElement('p');
    probe.className = 'msg';
    document.body.append(probe);
    const error = getComputedStyle(probe).color;
    probe.remove();
    return { now: getComputedStyle(m).color, error };
  });
  assert.notEqual(colours.now, colours.error);
  release();
  await page.waitForFunction(() => document.getElementById('up-msg').dataset.done === '1');
  await page.unroute('**/api/import*');
  assert.equal(await page.textContent('#up-msg'), 'Imported 6: 5 SMS, 1 MMS');
  await page.click('#up-close');
});

test('linking a phone: a number outside the prefixes, and too many codes, are said plainly', async () => {
  await page.click('#btn-account');
  await page.waitForSelector('#dlg-account[open]');
  const ask = async (msisdn) => {
    await page.fill('#acc-msisdn', msisdn);
    await page.evaluate(() => { document.getElementById('acc-msg').textContent = ''; });
    await page.click('#acc-send-code');
    await page.waitForFunction(() => document.getElementById('acc-msg').textContent.length > 0);
    return page.textContent('#acc-msg');
  };
  assert.match(await ask('+447700900123'), /only to numbers in international form starting with 86/);
  // the shipped limit: three codes an hour per account (conf/smsvault.conf)
  for (let i = 0; i < 3; i++) assert.match(await ask(`+86139000071${i}0`), /on its way/);
  assert.equal(await ask('+8613900007140'), 'Too many codes were asked for. Try again in 60 min.');
  await page.screenshot({ path: path.join(SHOTS, 'codes-refused.png') });
  await page.keyboard.press('Escape');
});

test('no script errors on the page', () => {
  assert.deepEqual(errors, []);
});
