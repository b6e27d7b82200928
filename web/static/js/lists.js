// lists — the three lists (SMS, MMS, contacts): keyset paging, search,
// multi-select with select-all, and the preview pane. Text is set with
// textContent only.
import * as api from './api.js';
import { $, el, fmtBytes, fmtDate } from './util.js';

export const KINDS = {
  sms: {
    noun: 'SMS', api: '/api/sms',
    title: (it) => it.peer || 'Unknown number',
    snippet: (it) => it.body,
    date: (it) => it.sent_at || it.saved_at,
    formats: [['xml', 'SMS Backup & Restore XML'], ['csv', 'CSV (spreadsheet)']],
    accept: '.xml,.csv,text/xml,text/csv',
    importHint: 'SMS Backup & Restore XML (SMS and MMS) or CSV with a "body" column. Duplicates are skipped.',
  },
  mms: {
    noun: 'MMS', api: '/api/mms',
    title: (it) => it.peer || 'Unknown number',
    snippet: (it) => [it.subject, it.text].filter(Boolean).join(' — ') || `${it.nparts} attachment(s)`,
    date: (it) => it.sent_at || it.saved_at,
    formats: [['xml', 'SMS Backup & Restore XML']],
    accept: '.xml,text/xml',
    importHint: 'SMS Backup & Restore XML; its MMS (and SMS) are imported. Duplicates are skipped.',
  },
  contacts: {
    noun: 'contact', api: '/api/contacts',
    title: (it) => it.name,
    snippet: (it) => it.number,
    date: (it) => it.uploaded_at,
    formats: [['vcard', 'vCard (.vcf)'], ['csv', 'CSV (spreadsheet)']],
    accept: '.vcf,.vcard,.csv,text/vcard,text/csv',
    importHint: 'vCard 2.1 / 3.0 with any number of contacts, or CSV with "name" and "number" columns.',
  },
};

const PAGE = 50;

export class Lists {
  constructor(onSelectionChange) {
    this.kind = 'sms';
    this.items = new Map();
    this.selected = new Set();
    this.nextBefore = 0;
    this.more = false;
    this.query = '';
    this.active = 0;
    this.loading = false;
    this.generation = 0;
    this.onSelectionChange = onSelectionChange;
    $('btn-more').addEventListener('click', () => this.loadMore());
    $('sel-all').addEventListener('change', (e) => this.selectAll(e.target.checked));
    let timer = 0;
    $('search').addEventListener('input', (e) => {
      clearTimeout(timer);
      timer = setTimeout(() => { this.query = e.target.value.trim(); this.reload(); }, 250);
    });
    const pane = document.querySelector('.list-pane');
    pane.addEventListener('scroll', () => {
      if (this.more && !this.loading && pane.scrollTop + pane.clientHeight > pane.scrollHeight - 120) this.loadMore();
    });
  }

  get spec() { return KINDS[this.kind]; }
  selectedNs() { return [...this.selected]; }

  setKind(kind) {
    this.kind = kind;
    $('search').value = '';
    this.query = '';
    this.reload();
  }

  async reload() {
    this.generation++;
    this.items.clear();
    this.selected.clear();
    this.nextBefore = 0;
    this.more = false;
    this.active = 0;
    $('items').replaceChildren();
    $('sel-all').checked = false;
    this.showPreviewHint();
    this.changed();
    await this.loadMore();
  }

  async loadMore() {
    if (this.loading) return;
    this.loading = true;
    const gen = this.generation;
    const qs = new URLSearchParams({ limit: String(PAGE) });
    if (this.nextBefore) qs.set('before', String(this.nextBefore));
    if (this.query) qs.set('q', this.query);
    try {
      const page = await api.get(`${this.spec.api}?${qs}`);
      if (gen !== this.generation) return;
      for (const it of page.items) this.addRow(it);
      this.more = page.more;
      this.nextBefore = page.next_before || 0;
    } catch (e) {
      this.toast(e.message, true);
    } finally {
      this.loading = false;
      $('btn-more').hidden = !this.more;
      $('empty').hidden = this.items.size > 0;
      $('empty').textContent = this.query ? 'No match.' : 'Nothing here yet. Use Upload to add some.';
    }
  }

  addRow(it) {
    const spec = this.spec;
    this.items.set(it.n, it);
    const box = el('input', { type: 'checkbox', 'aria-label': `Select ${spec.noun} ${it.n}` });
    box.checked = this.selected.has(it.n) || $('sel-all').checked;
    if (box.checked) this.selected.add(it.n);
    box.addEventListener('click', (e) => e.stopPropagation());
    box.addEventListener('change', () => {
      if (box.checked) this.selected.add(it.n); else this.selected.delete(it.n);
      if (!box.checked) $('sel-all').checked = false;
      this.changed();
    });
    const title = el('span', { class: 'title', text: spec.title(it) });
    if (this.kind === 'contacts' && it.current) title.append(el('span', { class: 'badge', text: 'current' }));
    const row = el('li', { class: 'item', 'data-n': String(it.n) },
      box, title,
      el('span', { class: 'date', text: fmtDate(spec.date(it)) }),
      el('span', { class: 'snippet', text: spec.snippet(it) }));
    row.addEventListener('click', () => this.preview(it.n));
    $('items').append(row);
  }

  selectAll(on) {
    for (const row of $('items').children) {
      const n = Number(row.dataset.n);
      row.querySelector('input').checked = on;
      if (on) this.selected.add(n); else this.selected.delete(n);
    }
    this.changed();
  }

  removeRows(ns) {
    for (const n of ns) {
      this.items.delete(n);
      this.selected.delete(n);
      const row = $('items').querySelector(`[data-n="${n}"]`);
      if (row) row.remove();
      if (this.active === n) this.showPreviewHint();
    }
    $('sel-all').checked = false;
    $('empty').hidden = this.items.size > 0;
    this.changed();
  }

  changed() {
    const n = this.selected.size;
    $('sel-count').textContent = n ? `${n} selected` : '';
    $('btn-delete').disabled = n === 0;
    this.onSelectionChange();
  }

  showPreviewHint() {
    this.active = 0;
    $('preview').replaceChildren(el('p', { class: 'muted', text: 'Select an item to preview it.' }));
  }

  async preview(n) {
    this.active = n;
    for (const r of $('items').children) r.classList.toggle('active', Number(r.dataset.n) === n);
    const kind = this.kind;
    const pane = $('preview');
    try {
      const it = await api.get(`${KINDS[kind].api}/${n}`);
      if (this.active !== n) return;
      pane.replaceChildren(...(kind === 'sms' ? this.smsPreview(it) : kind === 'mms' ? this.mmsPreview(it)
        : this.contactPreview(it)));
    } catch (e) {
      pane.replaceChildren(el('p', { class: 'msg', text: e.message }));
    }
  }

  smsPreview(it) {
    return [
      el('h3', { text: it.peer || 'Unknown number' }),
      el('div', { class: 'meta', text: `SMS #${it.n} · ${fmtDate(it.sent_at) || 'date unknown'} · saved ${fmtDate(it.saved_at)} · ${fmtBytes(it.size)}` }),
      el('div', { class: 'text', id: 'preview-text', text: it.body }),
    ];
  }

  mmsPreview(it) {
    const out = [
      el('h3', { text: it.subject || '(no subject)' }),
      el('div', { class: 'meta', text: `MMS #${it.n} · ${it.peer || 'unknown number'} · ${fmtDate(it.sent_at) || 'date unknown'} · ${fmtBytes(it.size)}` }),
    ];
    if (it.delivery) {
      /* queued → submitted → delivered | failed: where "send to my phone" got */
      const d = it.delivery;
      out.push(el('div', { class: 'meta', id: 'preview-delivery',
        text: `Sent to ${d.phone}: ${d.state}${d.reason ? ` (${d.reason})` : ''} · ${fmtDate(d.updated_at)}` }));
    }
    for (const p of it.parts) {
      const url = `/api/mms/${it.n}/parts/${p.seq + 1}`;
      if (p.text !== undefined) out.push(el('div', { class: 'text', text: p.text }));
      else if (p.inline && p.content_type.startsWith('image/')) out.push(el('img', { src: url, alt: p.name || 'image' }));
      else out.push(el('p', {}, el('a', { href: url, download: p.name || `part-${p.seq}` , text: `📎 ${p.name || p.content_type} (${fmtBytes(p.size)})` })));
    }
    return out;
  }

  contactPreview(it) {
    const list = el('ul', { class: 'numbers' });
    for (const c of it.numbers) {
      const li = el('li', { class: c.current ? 'current' : '' },
        el('span', {}, el('strong', { text: c.number }),
          c.current ? el('span', { class: 'badge', text: 'current number' }) : el('span', { class: 'badge old', text: 'older' })),
        el('span', { class: 'muted', text: `uploaded ${fmtDate(c.uploaded_at)}` }));
      list.append(li);
    }
    return [
      el('h3', { text: it.name }),
      el('div', { class: 'meta', text: `${it.numbers.length} number(s) — the newest upload is the current number` }),
      list,
    ];
  }

  toast(text, error = false) {
    const t = $('toast');
    t.textContent = text;
    t.classList.toggle('error', error);
    t.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { t.hidden = true; }, error ? 7000 : 4000);
  }
}
