// lists — the three lists (SMS, MMS, contacts): keyset paging, search,
// multi-select with select-all — of the rows loaded, or of every item the
// search matched ("all N matching": the server acts on the whole set, up to
// the newest item shown, without the rows unticked) —, and the preview pane.
// Text is set with textContent only.
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
    this.total = 0;           // items the search matched (the server counts them, bounded)
    this.totalCapped = false; // more than that
    this.upto = 0;            // the newest item shown: "all matching" stops there
    this.allMatching = false; // every item that matches is selected ...
    this.except = new Set();  // ... but these
    $('sel-matching').addEventListener('click', () => this.selectAllMatching());
    this.onSelectionChange = onSelectionChange;
    $('btn-more').addEventListener('click', () => this.loadMore());
    $('sel-all').addEventListener('change', (e) => this.selectAll(e.target.checked));
    let timer = 0;
    $('search').addEventListener('input', (e) => {
      clearTimeout(timer);
      timer = setTimeout(() => { this.query = e.target.value.trim(); this.reload(); }, 250);
    });
    // more rows when the end of the list comes into view, whether the list
    // scrolls in its pane (wide screens) or with the page (a phone)
    new IntersectionObserver((seen) => {
      if (seen.some((e) => e.isIntersecting) && this.more && !this.loading) this.loadMore();
    }, { rootMargin: '0px 0px 200px 0px' }).observe($('btn-more'));
    $('preview-close').addEventListener('click', () => this.closePreview());
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && document.body.classList.contains('preview-open')) this.closePreview();
    });
  }

  get spec() { return KINDS[this.kind]; }
  selectedNs() { return [...this.selected]; }
  // How many are selected, and what a delete or download names.
  selectedCount() { return this.allMatching ? this.total - this.except.size : this.selected.size; }
  selection() {
    if (!this.allMatching) return { ns: this.selectedNs() };
    const match = { upto: this.upto, except: [...this.except] };
    if (this.query) match.q = this.query;
    return { match };
  }
  // Every matching item is loaded: the selection as numbers (send to phone needs them).
  loadedSelection() {
    if (!this.allMatching) return this.selectedNs();
    return this.more ? null : [...this.items.keys()].filter((n) => !this.except.has(n));
  }

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
    this.total = 0;
    this.totalCapped = false;
    this.upto = 0;
    this.allMatching = false;
    this.except.clear();
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
      const first = !this.nextBefore;
      const page = await api.get(`${this.spec.api}?${qs}`);
      if (gen !== this.generation) return;
      if (first) {
        this.total = page.total;
        this.totalCapped = page.total_capped;
        this.upto = page.items.length ? page.items[0].n : 0;
      }
      for (const it of page.items) this.addRow(it);
      this.more = page.more;
      this.nextBefore = page.next_before || 0;
    } catch (e) {
      this.toast(e.message, true);
    } finally {
      if (gen === this.generation) {
        this.loading = false;
        this.shown();
      }
    }
  }

  // What the list says about itself: how many matched, "Load more", and
  // "nothing" only when there is nothing more to load.
  shown() {
    $('btn-more').hidden = !this.more;
    $('empty').hidden = this.items.size > 0 || this.more;
    $('empty').textContent = this.query ? 'No match.' : 'Nothing here yet. Use Upload to add some.';
    const n = this.total;
    $('match-count').textContent = this.query
      ? `${this.totalCapped ? 'more than ' : ''}${n} matching` : '';
    this.changed();
  }

  addRow(it) {
    const spec = this.spec;
    this.items.set(it.n, it);
    const box = el('input', { type: 'checkbox', 'aria-label': `Select ${spec.noun} ${it.n}` });
    box.checked = this.allMatching ? !this.except.has(it.n) : this.selected.has(it.n) || $('sel-all').checked;
    if (box.checked && !this.allMatching) this.selected.add(it.n);
    box.addEventListener('click', (e) => e.stopPropagation());
    box.addEventListener('change', () => {
      if (this.allMatching) {
        if (box.checked) this.except.delete(it.n); else this.except.add(it.n);
      } else if (box.checked) this.selected.add(it.n); else this.selected.delete(it.n);
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
    this.allMatching = false;
    this.except.clear();
    for (const row of $('items').children) {
      const n = Number(row.dataset.n);
      row.querySelector('input').checked = on;
      if (on) this.selected.add(n); else this.selected.delete(n);
    }
    this.changed();
  }

  // "Select all N matching": the server will act on every item found, not
  // only on the rows loaded.
  selectAllMatching() {
    this.allMatching = true;
    this.except.clear();
    this.selected.clear();
    for (const row of $('items').children) row.querySelector('input').checked = true;
    $('sel-all').checked = true;
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
    this.total = Math.max(0, this.total - ns.length);
    $('sel-all').checked = false;
    this.shown();
    // the rows shown are gone but more match: show those
    if (this.items.size === 0 && this.more) this.loadMore();
  }

  changed() {
    const n = this.selectedCount();
    $('sel-count').textContent = n ? (this.allMatching ? `All ${n} selected` : `${n} selected`) : '';
    $('btn-delete').disabled = n === 0;
    // every loaded row ticked and more match than are loaded: offer them all
    const offer = !this.allMatching && $('sel-all').checked && this.total > this.items.size;
    $('sel-matching').hidden = !offer;
    $('sel-matching').textContent = `Select all ${this.totalCapped ? 'first ' : ''}${this.total} ${this.query ? 'matching' : ''}`.trim();
    this.onSelectionChange();
  }

  showPreviewHint() {
    this.active = 0;
    $('preview-body').replaceChildren(el('p', { class: 'muted', text: 'Select an item to preview it.' }));
    this.closePreview();
  }

  // On a narrow screen the preview is a sheet over the list.
  closePreview() {
    document.body.classList.remove('preview-open');
  }

  async preview(n) {
    this.active = n;
    for (const r of $('items').children) r.classList.toggle('active', Number(r.dataset.n) === n);
    const kind = this.kind;
    const pane = $('preview-body');
    document.body.classList.add('preview-open');
    $('preview').scrollTop = 0;
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
