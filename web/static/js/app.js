// app — the smsvault page: log in / register, the usage bar, the three
// lists with Upload / Download / Delete, and the account dialog (phones,
// password). No inline script anywhere: the CSP forbids it.
import * as api from './api.js';
import { KINDS, Lists } from './lists.js';
import { $, el, fmtBytes, fmtDate, readAsBase64, saveBlob } from './util.js';

let me = null;
let authMode = 'login';
const lists = new Lists(() => {});

function show(view) {
  $('view-auth').hidden = view !== 'auth';
  $('view-home').hidden = view !== 'home';
  $('who').hidden = view !== 'home';
}

api.setUnauthenticatedHandler(() => { me = null; show('auth'); });

// A refusal that asks to wait (429), with the wait as people say it:
// seconds under a minute, then minutes rounded up (issue 11).
function refusalText(err) {
  const s = err.status === 429 && err.data && err.data.retry_after;
  if (!s) return err.message;
  return `${err.message.replace(/; wait and try again\.$/, '.')} Try again in ${s < 60 ? `${s} s` : `${Math.ceil(s / 60)} min`}.`;
}

/* ---- auth ---- */

function setAuthMode(mode) {
  authMode = mode;
  for (const b of document.querySelectorAll('[data-auth]')) b.classList.toggle('active', b.dataset.auth === mode);
  $('auth-submit').textContent = mode === 'login' ? 'Log in' : 'Create account';
  $('auth-pass').autocomplete = mode === 'login' ? 'current-password' : 'new-password';
  $('auth-msg').textContent = '';
}

for (const b of document.querySelectorAll('[data-auth]')) b.addEventListener('click', () => setAuthMode(b.dataset.auth));

$('auth-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = { username: $('auth-user').value.trim(), password: $('auth-pass').value };
  $('auth-submit').disabled = true;
  $('auth-msg').textContent = '';
  try {
    me = await api.post(authMode === 'login' ? '/api/login' : '/api/register', body);
    $('auth-pass').value = '';
    enterHome();
  } catch (err) {
    $('auth-msg').textContent = refusalText(err);
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
  $('usage-text').textContent = `${fmtBytes(u.used)} used of ${fmtBytes(u.allocated)} (${pct < 1 && u.used ? '<1' : Math.round(pct)}%)`;
  $('usage-grown').textContent = u.last_grown_at
    ? `Your space last grew on ${fmtDate(u.last_grown_at)}. It grows by itself when it is nearly full.`
    : 'Your space grows by itself when it is nearly full.';
  $('count-sms').textContent = `(${u.sms})`;
  $('count-mms').textContent = `(${u.mms})`;
  $('count-contacts').textContent = `(${u.contacts})`;
}

async function refreshMe() {
  me = await api.get('/api/me');
  $('who-name').textContent = me.username;
  renderUsage(me.usage);
}

function enterHome() {
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
  const ns = lists.selectedNs();
  if (!ns.length) return;
  const noun = KINDS[lists.kind].noun;
  const ok = await confirmDialog(`Delete ${ns.length} ${noun}${ns.length > 1 && noun !== 'SMS' && noun !== 'MMS' ? 's' : ''}?`,
    'They are removed from your archive for good; the space they used is freed.', 'Delete');
  if (!ok) return;
  try {
    const r = await api.post(`${KINDS[lists.kind].api}/delete`, { ns });
    lists.removeRows(ns);
    renderUsage(r.usage);
    lists.toast(`Deleted ${r.deleted} · freed ${fmtBytes(r.freed_bytes)}`);
  } catch (e) {
    lists.toast(e.message, true);
  }
});

/* ---- upload ---- */

function field(label, input) { return el('label', {}, label, ' ', input); }

function manualForm(kind) {
  const msg = $('up-msg');
  if (kind === 'sms') {
    const peer = el('input', { id: 'up-peer', maxlength: '64', placeholder: 'optional' });
    const body = el('textarea', { id: 'up-body', maxlength: '65536', placeholder: 'Type or paste the message' });
    const save = el('button', { type: 'button', class: 'primary', id: 'up-save', text: 'Save SMS' });
    save.addEventListener('click', async () => {
      if (!body.value) { msg.textContent = 'The message is empty.'; return; }
      await saveItem('/api/sms', { peer: peer.value.trim() || null, body: body.value }, () => { body.value = ''; });
    });
    return [el('fieldset', {}, el('legend', { text: 'Type or paste an SMS' }), field('From / to', peer), body, save)];
  }
  if (kind === 'mms') {
    const peer = el('input', { id: 'up-peer', maxlength: '64', placeholder: 'optional' });
    const subject = el('input', { id: 'up-subject', maxlength: '256', placeholder: 'optional' });
    const text = el('textarea', { id: 'up-text', placeholder: 'Text (optional)' });
    const files = el('input', { type: 'file', id: 'up-parts', multiple: true, accept: 'image/*,text/plain' });
    const save = el('button', { type: 'button', class: 'primary', id: 'up-save', text: 'Save MMS' });
    save.addEventListener('click', async () => {
      const parts = [];
      if (text.value) parts.push({ content_type: 'text/plain', name: 'text.txt', data: await readAsBase64(new Blob([text.value])) });
      for (const f of files.files) parts.push({ content_type: f.type || 'application/octet-stream', name: f.name, data: await readAsBase64(f) });
      if (!parts.length) { msg.textContent = 'Add some text or pick images.'; return; }
      await saveItem('/api/mms', { peer: peer.value.trim() || null, subject: subject.value || null, parts },
        () => { text.value = ''; files.value = ''; });
    });
    return [el('fieldset', {}, el('legend', { text: 'Make an MMS from pictures and text' }),
      field('From / to', peer), field('Subject', subject), text, field('Pictures', files), save)];
  }
  const name = el('input', { id: 'up-name', maxlength: '256' });
  const number = el('input', { id: 'up-number', maxlength: '64', inputmode: 'tel' });
  const save = el('button', { type: 'button', class: 'primary', id: 'up-save', text: 'Save contact' });
  save.addEventListener('click', async () => {
    if (!name.value.trim() || !number.value.trim()) { msg.textContent = 'A contact needs a name and a number.'; return; }
    await saveItem('/api/contacts', { name: name.value.trim(), number: number.value.trim() }, () => { number.value = ''; });
  });
  return [el('fieldset', {}, el('legend', { text: 'Add a contact (a new number for a known name becomes the current one)' }),
    field('Name', name), field('Number', number), save)];
}

async function saveItem(path, body, clear) {
  const msg = $('up-msg');
  msg.className = 'msg';
  msg.textContent = '';
  try {
    const r = await api.post(path, body);
    clear();
    renderUsage(r.usage);
    msg.className = 'msg ok';
    msg.textContent = `Saved as #${r.n}.`;
    lists.reload();
  } catch (e) {
    msg.textContent = e.status === 507 ? `Refused: ${e.message}` : e.message;
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
  msg.className = 'msg';
  msg.textContent = `Uploading ${file.name}…`;
  bar.hidden = false;
  bar.classList.remove('busy');
  $('up-progress-fill').style.width = '0%';
  const fmt = formatOf(file.name);
  if (me && me.limits && file.size > me.limits.upload_max) {
    bar.hidden = true;
    msg.textContent = `Not imported: ${file.name} is ${fmtBytes(file.size)}; files up to ${fmtBytes(me.limits.upload_max)} are accepted. Split it and try again.`;
    $('up-file').value = '';
    return;
  }
  try {
    const r = await api.upload(`/api/import${fmt ? `?format=${fmt}` : ''}`, file, (f) => {
      $('up-progress-fill').style.width = `${Math.round(f * 100)}%`;
      if (f >= 1) { bar.classList.add('busy'); msg.textContent = 'Saving…'; }
    });
    msg.className = 'msg ok';
    msg.textContent = importSummary(r);
    renderUsage(r.usage);
  } catch (e) {
    const d = e.data || {};
    msg.className = 'msg';
    msg.textContent = d.imported !== undefined
      ? `Refused: ${e.message}\n${importSummary(d)}` : `Not imported: ${e.message}`;
    if (d.usage) renderUsage(d.usage);
  } finally {
    bar.hidden = true;
    $('up-file').value = '';
    lists.reload();
  }
});

function importSummary(r) {
  const parts = [`Imported ${r.imported}`];
  if (r.duplicates) parts.push(`${r.duplicates} already stored (skipped)`);
  if (r.skipped) parts.push(`${r.skipped} unusable`);
  return parts.join(' · ');
}

$('btn-upload').addEventListener('click', () => {
  const kind = lists.kind;
  $('up-title').textContent = `Upload ${KINDS[kind].noun === 'contact' ? 'contacts' : KINDS[kind].noun}`;
  $('up-manual').replaceChildren(...manualForm(kind));
  $('up-file').accept = KINDS[kind].accept;
  $('up-formats').textContent = KINDS[kind].importHint;
  $('up-msg').textContent = '';
  $('up-progress').hidden = true;
  $('dlg-upload').showModal();
});

/* ---- download / send to phone ---- */

$('btn-download').addEventListener('click', () => {
  const spec = KINDS[lists.kind];
  const n = lists.selected.size;
  $('dl-sel').disabled = n === 0;
  $('dl-sel-label').textContent = n ? `The ${n} selected` : 'Selected (none yet)';
  $(n ? 'dl-sel' : 'dl-all').checked = true;
  $('dl-formats').replaceChildren(...spec.formats.map(([v, label], i) =>
    el('label', {}, el('input', { type: 'radio', name: 'format', value: v, checked: i === 0 }), ' ', label)));
  $('dl-msg').textContent = '';
  $('dl-phone').disabled = n === 0;
  $('dlg-download').showModal();
});

$('dl-go').addEventListener('click', async () => {
  const format = document.querySelector('#dl-formats input:checked').value;
  const body = { kind: lists.kind, format };
  if ($('dl-sel').checked) body.ns = lists.selectedNs();
  try {
    const { blob, filename } = await api.postForFile('/api/export', body);
    saveBlob(blob, filename);
    $('dl-msg').className = 'msg ok';
    $('dl-msg').textContent = `Saved ${filename} (${fmtBytes(blob.size)}).`;
  } catch (e) {
    $('dl-msg').className = 'msg';
    $('dl-msg').textContent = e.message;
  }
});

$('dl-phone').addEventListener('click', async () => {
  try {
    const r = await api.post('/api/send', { kind: lists.kind, ns: lists.selectedNs() });
    $('dl-msg').className = 'msg ok';
    $('dl-msg').textContent = `Queued ${r.queued} message(s) to ${r.phones.join(', ')}. They arrive shortly.`;
  } catch (e) {
    $('dl-msg').className = 'msg';
    $('dl-msg').textContent = e.message;
  }
});

/* ---- account ---- */

function renderPhones() {
  const ul = $('acc-phones');
  ul.replaceChildren();
  if (!me.phones.length) ul.append(el('li', { class: 'muted', text: 'No phone linked yet. Link one to send items to it.' }));
  for (const p of me.phones) {
    const b = el('button', { type: 'button', class: 'link', text: 'Unlink' });
    b.addEventListener('click', async () => {
      try { me = await api.post('/api/phone/unbind', { msisdn: p }); renderPhones(); } catch (e) { accMsg(e.message); }
    });
    ul.append(el('li', {}, el('span', { text: p }), b));
  }
}

function accMsg(text, ok = false) {
  $('acc-msg').className = ok ? 'msg ok' : 'msg';
  $('acc-msg').textContent = text;
}

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
    accMsg(`A code is on its way by SMS. Type it within ${Math.round(r.ttl / 60)} minutes.`, true);
  } catch (e) { accMsg(refusalText(e)); }
});

$('acc-confirm').addEventListener('click', async () => {
  try {
    me = await api.post('/api/phone/confirm', { msisdn: $('acc-msisdn').value.trim(), code: $('acc-code').value.trim() });
    $('acc-code').value = '';
    $('acc-code-row').hidden = true;
    renderPhones();
    accMsg('Phone linked.', true);
  } catch (e) { accMsg(refusalText(e)); }
});

$('acc-pass').addEventListener('click', async () => {
  try {
    await api.post('/api/password', { old: $('acc-old').value, new: $('acc-new').value });
    $('acc-old').value = '';
    $('acc-new').value = '';
    accMsg('Password changed. Other sessions were logged out.', true);
  } catch (e) { accMsg(refusalText(e)); }
});

/* ---- start ---- */

(async () => {
  setAuthMode('login');
  try {
    await refreshMe();
    enterHome();
  } catch {
    show('auth');
  }
})();
