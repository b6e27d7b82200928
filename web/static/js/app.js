// app — the smsvault page: log in / register, the usage bar, the three
// lists with Upload / Download / Delete, the account dialog (phones,
// password) and the language switch. Every text comes from i18n.js, in the
// account's language (or, before login, the browser's). No inline script
// anywhere: the CSP forbids it.
import * as api from './api.js';
import { errorText, lang, locale, setLang, setLimits, t } from './i18n.js';
import { KINDS, Lists, noun } from './lists.js';
import { $, el, fmtBytes, fmtDateLong, readAsBase64, saveBlob } from './util.js';

let me = null;
let authMode = 'login';
let limits = {};
const lists = new Lists(() => {});

function show(view) {
  $('view-auth').hidden = view !== 'auth';
  $('view-home').hidden = view !== 'home';
  $('who').hidden = view !== 'home';
}

api.setUnauthenticatedHandler(() => { me = null; show('auth'); });

/* ---- language ---- */

// Everything the page writes itself, again in the language now set.
function relabel() {
  setAuthMode(authMode, false);
  if (me) {
    renderUsage(me.usage);
    lists.relabel();
  }
}

function useLang(l) {
  setLang(l);
  try { localStorage.setItem('sv_lang', lang); } catch { /* private mode: the account's choice still holds */ }
  relabel();
}

// The switch: for an account it is its LANG choice (the SMS replies follow
// it too); before login it is this browser's.
$('btn-lang').addEventListener('click', async () => {
  const next = lang === 'zh' ? 'en' : 'zh';
  if (me) {
    try { me = await api.post('/api/lang', { lang: next }); } catch (e) { lists.toast(errorText(e), true); return; }
  }
  useLang(next);
});

/* ---- auth ---- */

function setAuthMode(mode, clear = true) {
  authMode = mode;
  for (const b of document.querySelectorAll('[data-auth]')) b.classList.toggle('active', b.dataset.auth === mode);
  $('auth-submit').textContent = mode === 'login' ? t('login') : t('create_account');
  $('auth-pass').autocomplete = mode === 'login' ? 'current-password' : 'new-password';
  if (clear) $('auth-msg').textContent = '';
}

for (const b of document.querySelectorAll('[data-auth]')) b.addEventListener('click', () => setAuthMode(b.dataset.auth));

$('auth-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = { username: $('auth-user').value.trim(), password: $('auth-pass').value };
  if (authMode === 'register') body.lang = lang;   // the account speaks the page's language
  $('auth-submit').disabled = true;
  $('auth-msg').textContent = '';
  try {
    me = await api.post(authMode === 'login' ? '/api/login' : '/api/register', body);
    $('auth-pass').value = '';
    enterHome();
  } catch (err) {
    $('auth-msg').textContent = errorText(err, authMode === 'register' ? 'register' : 'login');
  } finally {
    $('auth-submit').disabled = false;
  }
});

$('btn-logout').addEventListener('click', async () => {
  try { await api.post('/api/logout', {}); } catch { /* the session is gone either way */ }
  me = null;
  setAuthMode('login');
  show('auth');
});

/* ---- home ---- */

function renderUsage(u) {
  if (!u) return;
  const pct = u.allocated ? Math.min(100, (u.used / u.allocated) * 100) : 0;
  $('usage-fill').style.width = `${pct.toFixed(1)}%`;
  $('usage-fill').classList.toggle('high', pct > 90);
  $('usage-text').textContent = t('usage', { used: fmtBytes(u.used), alloc: fmtBytes(u.allocated),
    pct: pct < 1 && u.used ? '<1' : Math.round(pct) });
  $('usage-grown').textContent = u.last_grown_at ? t('grown_on', { date: fmtDateLong(u.last_grown_at, locale()) })
    : t('grows');
  $('count-sms').textContent = `(${u.sms})`;
  $('count-mms').textContent = `(${u.mms})`;
  $('count-contacts').textContent = `(${u.people})`;   // people, not rows of numbers
  if (me) me.usage = u;
}

async function refreshMe() {
  me = await api.get('/api/me');
  $('who-name').textContent = me.username;
  renderUsage(me.usage);
}

// Logged in: the page speaks the account's language.
function enterHome() {
  if (me.lang !== lang) useLang(me.lang);
  show('home');
  $('who-name').textContent = me.username;
  renderUsage(me.usage);
  lists.setKind(lists.kind);
}

for (const b of document.querySelectorAll('[data-kind]')) {
  b.addEventListener('click', () => {
    for (const o of document.querySelectorAll('[data-kind]')) o.classList.toggle('active', o === b);
    lists.setKind(b.dataset.kind);
  });
}

/* ---- delete ---- */

function confirmDialog(title, text, okLabel) {
  return new Promise((resolve) => {
    const d = $('dlg-confirm');
    $('cf-title').textContent = title;
    $('cf-text').textContent = text;
    $('cf-ok').textContent = okLabel;
    d.returnValue = '';
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.showModal();
  });
}

$('btn-delete').addEventListener('click', async () => {
  const count = lists.selectedCount();
  if (!count) return;
  const ok = await confirmDialog(t('delete_title', { n: count, all: lists.allMatching, noun: noun(lists.kind, count) }),
    t('delete_text'), t('delete_ok'));
  if (!ok) return;
  try {
    const sel = lists.selection();
    const r = await api.post(`${KINDS[lists.kind].api}/delete`, sel);
    if (sel.match) await lists.reload(); else lists.removeRows(sel.ns);
    renderUsage(r.usage);
    // contacts: the people deleted (r.deleted counts their numbers)
    lists.toast(t('deleted', { n: lists.kind === 'contacts' ? count : r.deleted, bytes: fmtBytes(r.freed_bytes) }));
  } catch (e) {
    lists.toast(errorText(e), true);
  }
});

/* ---- upload ---- */

function field(label, input) { return el('label', {}, label, ' ', input); }

// Received or sent: what the page shows as ↙ / ↗.
function directionPicker(id) {
  return el('select', { id }, el('option', { value: '1', text: t('dir_1') }), el('option', { value: '2', text: t('dir_2') }));
}

function manualForm(kind) {
  const msg = $('up-msg');
  if (kind === 'sms') {
    const peer = el('input', { id: 'up-peer', maxlength: '64', placeholder: t('optional') });
    const dir = directionPicker('up-dir');
    const body = el('textarea', { id: 'up-body', maxlength: '65536', placeholder: t('type_sms_ph') });
    const save = el('button', { type: 'button', class: 'primary', id: 'up-save', text: t('save_sms') });
    save.addEventListener('click', async () => {
      if (!body.value) { say(msg, t('sms_empty')); return; }
      await saveItem('/api/sms', { peer: peer.value.trim() || null, body: body.value, type: Number(dir.value) },
        () => { body.value = ''; });
    });
    return [el('fieldset', {}, el('legend', { text: t('type_sms') }), field(t('direction_label'), dir),
      field(t('peer_label'), peer), body, save)];
  }
  if (kind === 'mms') {
    const peer = el('input', { id: 'up-peer', maxlength: '64', placeholder: t('optional') });
    const dir = directionPicker('up-dir');
    const subject = el('input', { id: 'up-subject', maxlength: '256', placeholder: t('optional') });
    const text = el('textarea', { id: 'up-text', placeholder: t('mms_text_ph') });
    const files = el('input', { type: 'file', id: 'up-parts', multiple: true, accept: 'image/*,text/plain' });
    const save = el('button', { type: 'button', class: 'primary', id: 'up-save', text: t('save_mms') });
    save.addEventListener('click', async () => {
      const parts = [];
      if (text.value) parts.push({ content_type: 'text/plain', name: 'text.txt', data: await readAsBase64(new Blob([text.value])) });
      for (const f of files.files) parts.push({ content_type: f.type || 'application/octet-stream', name: f.name, data: await readAsBase64(f) });
      if (!parts.length) { say(msg, t('mms_empty')); return; }
      await saveItem('/api/mms', { peer: peer.value.trim() || null, subject: subject.value || null, parts,
        msg_box: Number(dir.value) }, () => { text.value = ''; files.value = ''; });
    });
    return [el('fieldset', {}, el('legend', { text: t('make_mms') }), field(t('direction_label'), dir),
      field(t('peer_label'), peer), field(t('subject'), subject), text, field(t('pictures'), files), save)];
  }
  const name = el('input', { id: 'up-name', maxlength: '256' });
  const number = el('input', { id: 'up-number', maxlength: '64', inputmode: 'tel' });
  const save = el('button', { type: 'button', class: 'primary', id: 'up-save', text: t('save_contact') });
  save.addEventListener('click', async () => {
    if (!name.value.trim() || !number.value.trim()) { say(msg, t('contact_empty')); return; }
    await saveItem('/api/contacts', { name: name.value.trim(), number: number.value.trim() }, () => { number.value = ''; },
      'contact');
  });
  return [el('fieldset', {}, el('legend', { text: t('add_contact') }),
    field(t('name'), name), field(t('number'), number), save)];
}

// A message line: an error (red), done (green), or news under way (neither).
function say(node, text, kind = 'error') {
  node.className = kind === 'ok' ? 'msg ok' : kind === 'busy' ? 'msg busy' : 'msg';
  node.textContent = text;
}

async function saveItem(path, body, clear, ctx = '') {
  const msg = $('up-msg');
  say(msg, '', 'busy');
  try {
    const r = await api.post(path, body);
    clear();
    renderUsage(r.usage);
    say(msg, t('saved_as', { n: r.n }), 'ok');
    lists.reload();
  } catch (e) {
    say(msg, e.status === 507 ? t('refused', { why: errorText(e) }) : errorText(e, ctx));
  }
}

function formatOf(name) {
  const ext = name.toLowerCase().split('.').pop();
  return { xml: 'xml', vcf: 'vcard', vcard: 'vcard', csv: 'csv' }[ext] || '';
}

$('up-file').addEventListener('change', async () => {
  const file = $('up-file').files[0];
  if (!file) return;
  const msg = $('up-msg');
  const bar = $('up-progress');
  msg.dataset.done = '';
  say(msg, t('uploading', { name: file.name }), 'busy');
  bar.hidden = false;
  bar.classList.remove('busy');
  $('up-progress-fill').style.width = '0%';
  const fmt = formatOf(file.name);
  if (me && me.limits && file.size > me.limits.upload_max) {
    bar.hidden = true;
    say(msg, t('too_big_file', { name: file.name, size: fmtBytes(file.size), max: fmtBytes(me.limits.upload_max) }));
    $('up-file').value = '';
    msg.dataset.done = '1';
    return;
  }
  try {
    const r = await api.upload(`/api/import${fmt ? `?format=${fmt}` : ''}`, file, (f) => {
      $('up-progress-fill').style.width = `${Math.round(f * 100)}%`;
      if (f >= 1) { bar.classList.add('busy'); say(msg, t('saving'), 'busy'); }
    });
    say(msg, importSummary(r), 'ok');
    renderUsage(r.usage);
  } catch (e) {
    const d = e.data || {};
    say(msg, d.imported !== undefined ? `${t('refused', { why: errorText(e, 'import') })}\n${importSummary(d)}`
      : t('not_imported', { why: errorText(e, 'import') }));
    if (d.usage) renderUsage(d.usage);
  } finally {
    bar.hidden = true;
    $('up-file').value = '';
    msg.dataset.done = '1';   // for tests, in any language
    lists.reload();
  }
});

// "Imported 126: 120 SMS, 6 MMS · 3 already stored (skipped) · 1 unusable"
function importSummary(r) {
  const k = r.by_kind || {};
  const kinds = t('imported_kinds', k);
  const parts = [kinds ? `${t('imported', { n: r.imported })}${lang === 'zh' ? '：' : ': '}${kinds}` : t('imported', { n: r.imported })];
  if (r.duplicates) parts.push(t('already_stored', { n: r.duplicates }));
  if (r.skipped) parts.push(t('unusable', { n: r.skipped }));
  return parts.join(' · ');
}

$('btn-upload').addEventListener('click', () => {
  const kind = lists.kind;
  $('up-title').textContent = t('upload_title', { noun: noun(kind) });
  $('up-manual').replaceChildren(...manualForm(kind));
  $('up-file').accept = KINDS[kind].accept;
  $('up-formats').textContent = t(KINDS[kind].hint);
  $('up-msg').textContent = '';
  $('up-progress').hidden = true;
  $('dlg-upload').showModal();
});

/* ---- download / send to phone ---- */

$('btn-download').addEventListener('click', () => {
  const spec = KINDS[lists.kind];
  const n = lists.selectedCount();
  $('dl-sel').disabled = n === 0;
  $('dl-sel-label').textContent = n ? t('the_n_selected', { n }) : t('none_selected');
  $(n ? 'dl-sel' : 'dl-all').checked = true;
  $('dl-formats').replaceChildren(...spec.formats().map(([v, label], i) =>
    el('label', {}, el('input', { type: 'radio', name: 'format', value: v, checked: i === 0 }), ' ', label)));
  $('dl-msg').textContent = '';
  const loaded = lists.loadedSelection();
  $('dl-phone').disabled = !loaded || loaded.length === 0 || loaded.length > limits.send_max;
  $('dl-phone').title = loaded && loaded.length > limits.send_max ? t('send_max', { max: limits.send_max }) : '';
  $('dlg-download').showModal();
});

$('dl-go').addEventListener('click', async () => {
  const format = document.querySelector('#dl-formats input:checked').value;
  const body = { kind: lists.kind, format };
  if ($('dl-sel').checked) Object.assign(body, lists.selection());
  try {
    const { blob, filename } = await api.postForFile('/api/export', body);
    saveBlob(blob, filename);
    say($('dl-msg'), t('saved_file', { name: filename, size: fmtBytes(blob.size) }), 'ok');
  } catch (e) {
    say($('dl-msg'), errorText(e));
  }
});

$('dl-phone').addEventListener('click', async () => {
  try {
    const r = await api.post('/api/send', { kind: lists.kind, ns: lists.loadedSelection() });
    say($('dl-msg'), t('queued', { n: r.queued, phones: r.phones.join(', ') }), 'ok');
  } catch (e) {
    say($('dl-msg'), errorText(e));
  }
});

/* ---- account ---- */

function renderPhones() {
  const ul = $('acc-phones');
  ul.replaceChildren();
  if (!me.phones.length) ul.append(el('li', { class: 'muted', text: t('no_phone_yet') }));
  for (const p of me.phones) {
    const b = el('button', { type: 'button', class: 'link', text: t('unlink') });
    b.addEventListener('click', async () => {
      try { me = await api.post('/api/phone/unbind', { msisdn: p }); renderPhones(); } catch (e) { accMsg(errorText(e, 'phone')); }
    });
    ul.append(el('li', {}, el('span', { text: p }), b));
  }
}

function accMsg(text, ok = false) { say($('acc-msg'), text, ok ? 'ok' : 'error'); }

$('btn-account').addEventListener('click', async () => {
  await refreshMe().catch(() => {});
  renderPhones();
  accMsg('');
  $('acc-code-row').hidden = true;
  $('dlg-account').showModal();
});

$('acc-send-code').addEventListener('click', async () => {
  try {
    const r = await api.post('/api/phone/start', { msisdn: $('acc-msisdn').value.trim() });
    $('acc-code-row').hidden = false;
    accMsg(t('code_sent', { min: Math.round(r.ttl / 60) }), true);
  } catch (e) { accMsg(errorText(e, 'phone')); }
});

$('acc-confirm').addEventListener('click', async () => {
  try {
    me = await api.post('/api/phone/confirm', { msisdn: $('acc-msisdn').value.trim(), code: $('acc-code').value.trim() });
    $('acc-code').value = '';
    $('acc-code-row').hidden = true;
    renderPhones();
    accMsg(t('phone_linked'), true);
  } catch (e) { accMsg(errorText(e, 'code')); }
});

$('acc-pass').addEventListener('click', async () => {
  try {
    await api.post('/api/password', { old: $('acc-old').value, new: $('acc-new').value });
    $('acc-old').value = '';
    $('acc-new').value = '';
    accMsg(t('password_changed'), true);
  } catch (e) { accMsg(errorText(e, 'password')); }
});

/* ---- start ---- */

// The language before login: chosen on this page before, else the browser's
// Accept-Language as the server reads it; an account's own once logged in.
(async () => {
  let first = null;
  try { first = localStorage.getItem('sv_lang'); } catch { /* no storage */ }
  try {
    const p = await api.get('/api/page');
    limits = p.limits;
    setLimits(limits);
    if (!first) first = p.lang;
  } catch { /* the server answers below, or the page says it cannot reach it */ }
  setLang(first || 'en');
  setAuthMode('login');
  try {
    await refreshMe();
    enterHome();
  } catch {
    show('auth');
  }
})();
