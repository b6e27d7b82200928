// Browser test of "select everything that matches" (issue 10): a search
// says how many items it matched; "All" offers all N matching, not only the
// rows loaded; delete acts on the whole set server-side in one request; the
// list and the counts are right afterwards, and "No match." never shows
// above a "Load more"; a first page counts 1,000 matches and the page asks
// for the whole count after.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BASE, uniq } from './helpers.mjs';
import { SHOTS, launch, registerOnPage, importOnPage } from './browser.mjs';

let b, page;

// 130 SMS: 120 about lunch, 10 others; pages of 50 on the page.
function csv() {
  let out = 'date,peer,type,body\r\n';
  for (let i = 0; i < 130; i++) {
    const t = new Date(Date.UTC(2024, 4, 1, 8, 0, i * 7)).toISOString();
    out += `${t},+86138${String(i).padStart(8, '0')},${i % 2 ? 'sent' : 'received'},${i < 120 ? `lunch at noon #${i}` : `other ${i}`}\r\n`;
  }
  return out;
}

const rows = () => page.locator('#items .item').count();
const visible = (sel) => page.isVisible(sel);
async function searchFor(q) {
  await page.fill('#search', q);
  await page.waitForFunction((q) => {
    const m = document.getElementById('match-count').textContent;
    return q ? /\d/.test(m) : m === '';
  }, q);
}

before(async () => {
  b = await launch();
  page = b.page;
  await registerOnPage(page, BASE, uniq('sel'));
  assert.match(await importOnPage(page, 'lunch.csv', csv()), /Imported 130/);
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 50);
});

after(async () => { await b?.close(); });

test('a search says how many matched; All offers all of them', async () => {
  await searchFor('lunch');
  assert.equal(await page.textContent('#match-count'), '120 matching');
  assert.equal(await rows(), 50);
  assert.ok(await visible('#btn-more'));
  assert.ok(!(await visible('#sel-matching')));
  await page.check('#sel-all');
  assert.equal(await page.textContent('#sel-count'), '50 selected');
  assert.ok(await visible('#sel-matching'));
  assert.equal(await page.textContent('#sel-matching'), 'Select all 120 matching');
  await page.click('#sel-matching');
  assert.equal(await page.textContent('#sel-count'), 'All 120 selected');
  // one unticked stays; rows loaded later come ticked
  await page.locator('#items .item input').first().uncheck();
  assert.equal(await page.textContent('#sel-count'), 'All 119 selected');
  await page.click('#btn-more');
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 100);
  assert.equal(await page.locator('#items .item input:checked').count(), 99);
  await page.screenshot({ path: path.join(SHOTS, 'select-all-matching.png') });
});

test('delete all matching: one request, the list and counts right', async () => {
  const requests = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/sms/delete')) requests.push(r.postDataJSON()); });
  await page.click('#btn-delete');
  await page.waitForSelector('#dlg-confirm[open]');
  assert.equal(await page.textContent('#cf-title'), 'Delete all 119 matching SMS?');
  await page.click('#cf-ok');
  // the toast of this delete (an earlier one may still be up)
  await page.waitForFunction(() => /Deleted 119 · freed/.test(document.getElementById('toast').textContent));
  assert.equal(requests.length, 1);
  assert.equal(requests[0].match.q, 'lunch');
  assert.equal(requests[0].match.except.length, 1);
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 1);
  assert.match(await page.textContent('#items .item .snippet'), /lunch at noon #119/);
  assert.equal(await page.textContent('#match-count'), '1 matching');
  assert.ok(!(await visible('#empty')));
  assert.ok(!(await visible('#btn-more')));
  assert.equal(await page.textContent('#count-sms'), '(11)');
  await searchFor('');
  await page.waitForFunction(() => document.querySelectorAll('#items .item').length === 11);
});

test('deleting the rows loaded of a longer list: the next rows come, no "No match." above "Load more"', async () => {
  assert.match(await importOnPage(page, 'lunch2.csv', csv().replace(/lunch at noon/g, 'dinner')), /Imported 120/);
  await searchFor('dinner');
  assert.equal(await page.textContent('#match-count'), '120 matching');
  await page.check('#sel-all');
  await page.click('#btn-delete');
  await page.click('#cf-ok');
  await page.waitForFunction(() => /Deleted 50 · freed/.test(document.getElementById('toast').textContent));
  // the next 50 come; the last 20 too when "Load more" is in view (the list
  // loads on its own then), and "Load more" goes once nothing is left
  await page.waitForFunction(() => {
    const n = document.querySelectorAll('#items .item').length;
    return !document.getElementById('items').dataset.loading &&
      ((n === 50 && !document.getElementById('btn-more').hidden) ||
       (n === 70 && document.getElementById('btn-more').hidden));
  });
  assert.equal(await page.textContent('#match-count'), '70 matching');
  assert.ok(!(await visible('#empty')), 'no "No match." while items match');
  await searchFor('nothing-like-this');
  await page.waitForSelector('#empty:not([hidden])');
  assert.ok(!(await visible('#btn-more')));
  assert.equal(await page.textContent('#match-count'), '0 matching');
  await searchFor('');
});

test('download all matching: the whole set in one file', async () => {
  await searchFor('dinner');
  await page.check('#sel-all');
  // "Select all 70 matching" is offered while some are not loaded yet; the
  // list may have loaded all 70 on its own ("Load more" in view): then the
  // tick took them all
  if (await page.locator('#items .item').count() < 70) await page.click('#sel-matching');
  await page.click('#btn-download');
  assert.equal(await page.textContent('#dl-sel-label'), 'The 70 selected');
  await page.check('#dl-formats input[value="csv"]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dl-go')]);
  const text = await (await import('node:fs')).promises.readFile(await dl.path(), 'utf8');
  assert.equal(text.trim().split('\n').length, 71, 'header and 70 rows');
  assert.doesNotMatch(text, /other|lunch/);
  await page.click('#dlg-download button[value="close"]');
});

test('more matches than the first page counts: the page says "more than", then asks for the whole count', async () => {
  let out = 'date,body\r\n';
  for (let i = 0; i < 1100; i++) out += `${1600000000 + i * 60},brunch ${i}\r\n`;
  assert.match(await importOnPage(page, 'brunch.csv', out), /Imported 1100/);
  const counts = [];
  const seen = (r) => { if (/\/api\/sms\?.*count=1/.test(r.url())) counts.push(r.url()); };
  page.on('request', seen);
  await searchFor('brunch');
  await page.waitForFunction(() => document.getElementById('match-count').textContent === '1100 matching');
  page.off('request', seen);
  assert.equal(counts.length, 1, 'one count request');
  assert.match(counts[0], /q=brunch/);
  assert.match(counts[0], /upto=\d+/);
  await page.check('#sel-all');
  assert.equal(await page.textContent('#sel-matching'), 'Select all 1100 matching');
  await page.uncheck('#sel-all');
  await searchFor('');
});

test('no script errors', () => { assert.deepEqual(b.errors, []); });
