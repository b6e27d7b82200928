// Browser test at a phone's width (390 × 844, touch; issue 10): the toolbar
// fits the screen, the list loads more as it is scrolled to its end, a
// tapped item opens its preview over the list, and Close (or Escape) gives
// the list back where it was; contacts are people, in Chinese too.
// Screenshots of the list and the preview, and of the contacts in Chinese.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BASE, uniq } from './helpers.mjs';
import { SHOTS, launch, registerOnPage, importOnPage } from './browser.mjs';

let b, page;
const WIDTH = 390;

function csv() {
  let out = 'date,peer,type,body\r\n';
  for (let i = 0; i < 70; i++) {
    const t = new Date(Date.UTC(2024, 4, 2, 9, i, 0)).toISOString();
    out += `${t},+86139${String(i).padStart(8, '0')},${i % 3 ? 'received' : 'sent'},"短信 ${i}：今天天气很好，我们下午去公园散步吧 🌳"\r\n`;
  }
  return out;
}

before(async () => {
  b = await launch({ viewport: { width: WIDTH, height: 844 }, isMobile: true, hasTouch: true });
  page = b.page;
  await registerOnPage(page, BASE, uniq('phone'));
  assert.match(await importOnPage(page, 'phone.csv', csv()), /Imported 70/);
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length >= 50);
});

after(async () => { await b?.close(); });

test('the page fits a 390 px screen: nothing sticks out, the toolbar is two rows', async () => {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= WIDTH, `page is ${width} px wide`);
  const boxes = await page.evaluate(() => [...document.querySelectorAll('.toolbar > *, .toolbar button, .top *, .tabs .tab')]
    .filter((e) => e.offsetParent !== null)
    .map((e) => { const r = e.getBoundingClientRect(); return { id: e.id || e.className || e.tagName, left: r.left, right: r.right }; }));
  for (const x of boxes) assert.ok(x.left >= 0 && x.right <= WIDTH + 0.5, `${x.id} ${x.left}..${x.right}`);
  const bar = await page.locator('.toolbar').boundingBox();
  assert.ok(bar.height < 110, `toolbar ${bar.height} px high`);
  const buttons = await page.locator('.actions button').evaluateAll((bs) => bs.map((x) => x.getBoundingClientRect().top));
  assert.equal(new Set(buttons.map(Math.round)).size, 1, 'Upload, Download, Delete on one row');
  await page.screenshot({ path: path.join(SHOTS, 'phone-list.png') });
});

test('scrolling to the end of the list loads more', async () => {
  assert.equal(await page.locator('#items .item').count(), 50);
  await page.locator('#items .item').last().scrollIntoViewIfNeeded();
  await page.mouse.wheel(0, 4000);
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 70);
  assert.ok(!(await page.isVisible('#btn-more')));
});

test('a tapped item opens its preview over the list; Close gives the list back', async () => {
  const item = page.locator('#items .item').nth(60);
  await item.scrollIntoViewIfNeeded();
  const scrolled = await page.evaluate(() => window.scrollY);
  assert.ok(scrolled > 1000, 'far down the list');
  const want = await item.locator('.snippet').textContent();
  await item.tap();
  await page.waitForSelector('#preview-text');
  assert.equal(await page.textContent('#preview-text'), want);
  const box = await page.locator('#preview').boundingBox();
  assert.deepEqual([box.x, box.y, box.width], [0, 0, WIDTH], 'the preview covers the screen');
  assert.ok(await page.isVisible('#preview-close'));
  await page.screenshot({ path: path.join(SHOTS, 'phone-preview.png') });
  await page.tap('#preview-close');
  assert.ok(!(await page.isVisible('#preview')));
  assert.equal(await page.evaluate(() => window.scrollY), scrolled, 'the list where it was');
  // Escape closes it too
  await page.locator('#items .item').nth(61).tap();
  await page.waitForSelector('#preview:visible');
  await page.keyboard.press('Escape');
  assert.ok(!(await page.isVisible('#preview')));
});

test('contacts on a phone, in Chinese: one row per person, the preview over the list', async () => {
  await page.tap('[data-kind="contacts"]');
  const vcf = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张伟\r\nTEL;TYPE=HOME:010-62345678\r\n' +
    'TEL;TYPE=CELL,PREF:+8613800000071\r\nTEL;TYPE=WORK:+8621555501\r\nEND:VCARD\r\n' +
    'BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Li Lei\r\nTEL;CELL:+8613800000072\r\nEND:VCARD\r\n';
  assert.match(await importOnPage(page, 'phone.vcf', vcf), /^Imported 2: 2 contacts$/);
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 2);
  assert.equal(await page.textContent('#count-contacts'), '(2)', 'two people, four numbers');
  await page.tap('#btn-lang');
  await page.waitForFunction(() => document.getElementById('btn-upload').textContent === '⬆ 上传');
  assert.match(await page.textContent('#items .item:has-text("张伟") .snippet'), /^\+8613800000071 · 另有 2 个旧号码$/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= WIDTH, `page is ${width} px wide`);
  await page.screenshot({ path: path.join(SHOTS, 'zh-phone-contacts.png') });
  await page.locator('#items .item', { hasText: '张伟' }).tap();
  await page.waitForSelector('.numbers li.current');
  assert.match(await page.textContent('.numbers li.current'), /\+8613800000071 手机当前号码/);
  assert.equal(await page.locator('.numbers li').count(), 3);
  const box = await page.locator('#preview').boundingBox();
  assert.deepEqual([box.x, box.width], [0, WIDTH], 'the preview covers the screen');
  await page.screenshot({ path: path.join(SHOTS, 'zh-phone-contact.png') });
  await page.tap('#preview-close');
  await page.tap('#btn-lang');   // the account back in English
  await page.waitForFunction(() => document.getElementById('btn-upload').textContent === '⬆ Upload');
});

test('no script errors', () => { assert.deepEqual(b.errors, []); });
