// Round trips through a running vaultweb (issue 10): a file written by
// another program (tests/web/backup_gen.py, from SMS Backup & Restore's
// published field lists) is imported, exported, and the export imported
// into a fresh account and exported again. The canonical form of the files
// (backup_gen.py canon: every item with every attribute, part bytes and
// address; order, a Content-ID's <> and text-vs-base64 aside) must be the
// same at each step: what goes out is what came in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, uniq } from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GEN = path.join(HERE, 'backup_gen.py');
const WORK = process.env.SV_WEB_WORK || os.tmpdir();

function gen(kind, seed) {
  const file = path.join(WORK, `generated-${seed}.${kind}`);
  execFileSync('python3', [GEN, 'gen', kind, String(seed), file]);
  return file;
}

function canon(kind, files) {
  return JSON.parse(execFileSync('python3', [GEN, 'canon', kind, ...files], { maxBuffer: 256 << 20 }).toString());
}

async function importFile(c, file, format) {
  const r = await c.post(`/api/import?format=${format}`, fs.readFileSync(file),
    { json: false, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  return r.data;
}

async function exportFile(c, kind, format, name) {
  const r = await c.post('/api/export', { kind, format });
  assert.equal(r.status, 200);
  const file = path.join(WORK, name);
  fs.writeFileSync(file, r.data);
  return file;
}

async function fresh(prefix) {
  const c = new Client();
  await c.register(uniq(prefix));
  return c;
}

test('SMS Backup & Restore XML from another program: import, export, import elsewhere, export — the same', async () => {
  const input = gen('xml', 7);
  const want = canon('xml', [input]);
  assert.equal(want.sms.length, 120);
  assert.equal(want.mms.length, 6);

  const a = await fresh('rtxa');
  const ra = await importFile(a, input, 'xml');
  assert.equal(ra.imported, 126);
  assert.equal(ra.duplicates, 0);
  assert.equal(ra.skipped, 0);
  const aSms = await exportFile(a, 'sms', 'xml', 'rt-a-sms.xml');
  const aMms = await exportFile(a, 'mms', 'xml', 'rt-a-mms.xml');
  assert.deepEqual(canon('xml', [aSms, aMms]), want, 'the export says what the file said');

  // the page sees the direction: as many sent as the file had
  const sent = want.sms.filter((s) => s.type === '2').length;
  const page = await a.get('/api/sms?limit=500');
  assert.equal(page.data.items.filter((s) => s.type === 2).length, sent);
  assert.ok(sent > 10);

  const b = await fresh('rtxb');
  const rb1 = await importFile(b, aSms, 'xml');
  const rb2 = await importFile(b, aMms, 'xml');
  assert.equal(rb1.imported + rb2.imported, 126);
  const bSms = await exportFile(b, 'sms', 'xml', 'rt-b-sms.xml');
  const bMms = await exportFile(b, 'mms', 'xml', 'rt-b-mms.xml');
  assert.deepEqual(canon('xml', [bSms, bMms]), want, 'and so does the export of the export');

  // the export imported where it came from adds nothing
  const again = await importFile(a, aSms, 'xml');
  assert.equal(again.imported, 0);
  assert.equal(again.duplicates, 120);
});

test('an MMS part comes back byte for byte, the SMIL layout first', async () => {
  const input = gen('xml', 11);
  const c = await fresh('rtpart');
  await importFile(c, input, 'xml');
  const list = (await c.get('/api/mms?limit=50')).data.items;
  assert.equal(list.length, 6);
  const m = (await c.get(`/api/mms/${list[0].n}`)).data;
  assert.equal(m.parts[0].content_type, 'application/smil');
  assert.equal(m.parts[0].content_id, 'smil');
  const img = m.parts.find((p) => p.content_type === 'image/png');
  assert.match(img.content_id, /^image_\d$/);
  const got = (await c.get(`/api/mms/${m.n}/parts/${img.seq + 1}`)).data;
  const want = canon('xml', [input]).mms.find((x) => Math.floor(Number(x.date) / 1000) === m.sent_at);
  const wantPart = want.parts.find((p) => p.ct === 'image/png');
  assert.equal(`${got.length}:${crypto.createHash('sha256').update(got).digest('hex')}`, wantPart.bytes);
  assert.deepEqual(m.addrs.map((x) => x.type), want.addrs.map((x) => Number(x.type)));
});

test('CSV from another program: import, export, import elsewhere, export — the same, direction too', async () => {
  const input = gen('csv', 5);
  const want = canon('csv', [input]);
  assert.equal(want.length, 60);
  const a = await fresh('rtca');
  const ra = await importFile(a, input, 'csv');
  assert.equal(ra.imported, 60);
  const aCsv = await exportFile(a, 'sms', 'csv', 'rt-a.csv');
  const got = canon('csv', [aCsv]);
  // the export has more columns than the file (saved_from, toa, ...): empty here
  assert.deepEqual(got.map((r) => Object.fromEntries(Object.keys(want[0]).map((k) => [k, r[k]]))), want);
  for (const r of got) for (const k of Object.keys(r)) if (!(k in want[0])) assert.equal(r[k], null, k);
  assert.ok(want.some((r) => r.type === '2') && want.some((r) => r.type === '1'));

  const b = await fresh('rtcb');
  assert.equal((await importFile(b, aCsv, 'csv')).imported, 60);
  const bCsv = await exportFile(b, 'sms', 'csv', 'rt-b.csv');
  assert.deepEqual(canon('csv', [bCsv]), got);
  assert.equal((await importFile(a, aCsv, 'csv')).duplicates, 60);
});

// People (issue 10): what the page lists for an account, as canon_vcard
// writes people — by UID, else by name; numbers with their TYPEs; the current one.
async function people(c) {
  const items = (await c.get('/api/contacts?limit=200')).data.items;
  return items.map((p) => ({
    key: p.uid ? `u:${p.uid}` : `n:${p.name.toLowerCase().split(/\s+/).join(' ')}`,
    name: p.name,
    current: p.numbers.find((x) => x.current).number,
    numbers: p.numbers.map((x) => [x.number, x.types.split(',').filter((t) => t && t !== 'PREF').sort().join(',')])
      .sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  })).sort((a, b) => (a.key < b.key ? -1 : 1));
}

test('vCards from another program: import, export, import elsewhere — the same people, current numbers and TYPEs', async () => {
  const input = gen('vcard', 3);
  const want = canon('vcard', [input]);
  assert.equal(want.length, 12);
  assert.ok(want.some((p) => p.key.startsWith('u:')), 'some cards have a UID');

  const a = await fresh('rtva');
  const ra = await importFile(a, input, 'vcard');
  assert.equal(ra.skipped, 0);
  assert.deepEqual(await people(a), want, 'the page shows the people the file holds');
  assert.equal((await a.get('/api/me')).data.usage.people, 12);

  // a newer upload of one person's new number makes it current: the export says so
  const who = want.find((p) => p.key.startsWith('n:'));
  const later = `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:${who.name}\r\nTEL;TYPE=VOICE:+8613711112222\r\nEND:VCARD\r\n`;
  const laterFile = path.join(WORK, 'rt-later.vcf');
  fs.writeFileSync(laterFile, later);
  assert.equal((await importFile(a, laterFile, 'vcard')).imported, 1);
  who.current = '+8613711112222';
  who.numbers = [...who.numbers, ['+8613711112222', 'VOICE']].sort((x, y) => (x[0] < y[0] ? -1 : 1));
  assert.deepEqual(await people(a), want);

  const aV = await exportFile(a, 'contacts', 'vcard', 'rt-a.vcf');
  const cards = fs.readFileSync(aV, 'utf8');
  assert.equal(cards.split('BEGIN:VCARD').length - 1, 12, 'one card per person');
  assert.deepEqual(canon('vcard', [aV]), want, 'every number, its TYPEs, PREF on the current one');

  const b = await fresh('rtvb');
  await importFile(b, aV, 'vcard');
  assert.deepEqual(await people(b), want, 'the same current numbers after the round trip');
  const bV = await exportFile(b, 'contacts', 'vcard', 'rt-b.vcf');
  // the same cards, byte for byte (people newest first: b's order is the file's)
  const split = (text) => text.split(/(?=BEGIN:VCARD)/).sort();
  assert.deepEqual(split(fs.readFileSync(bV, 'utf8')), split(cards), 'the export of the export: the same cards');
  assert.equal((await importFile(a, aV, 'vcard')).imported, 0, 'read again where it came from: nothing new');
});

test('contacts CSV from another program: import, export, import elsewhere — the same people and current numbers', async () => {
  const input = gen('contacts-csv', 4);
  const want = canon('contacts-csv', [input]);
  assert.equal(want.length, 15);
  assert.ok(want.some((p) => p.numbers.length === 3));
  const a = await fresh('rtcca');
  assert.equal((await importFile(a, input, 'csv')).by_kind.contacts, 30);
  const page = await people(a);
  assert.equal(page.length, 15);
  assert.deepEqual(page.map((p) => ({ name: p.name, current: p.current, numbers: p.numbers.map((x) => x[0]) }))
    .sort((x, y) => (x.name < y.name ? -1 : 1)), want);
  const aC = await exportFile(a, 'contacts', 'csv', 'rt-a-contacts.csv');
  assert.deepEqual(canon('contacts-csv', [aC]), want, 'the last line of a person is its current number');
  // the export's own current column agrees
  const text = fs.readFileSync(aC, 'utf8').trim().split('\r\n');
  assert.equal(text[0], 'n,name,number,types,uid,uploaded_at,current');
  const cur = text.slice(1).filter((l) => l.endsWith(',yes')).map((l) => l.split(',')[2]).sort();
  assert.deepEqual(cur, want.map((p) => p.current).sort());

  const b = await fresh('rtccb');
  await importFile(b, aC, 'csv');
  assert.deepEqual(canon('contacts-csv', [await exportFile(b, 'contacts', 'csv', 'rt-b-contacts.csv')]), want);
  assert.deepEqual((await people(b)).map((p) => p.current).sort(), want.map((p) => p.current).sort());
});
