// lists — the three lists (SMS, MMS, contacts): keyset paging (more rows
// when the end of the list comes into view), search, multi-select with
// select-all — of the rows loaded, or of every item the search matched
// ("all N matching": the server acts on the whole set, up to the newest item
// shown, without the rows unticked) —, and the preview pane, a sheet over
// the list on a narrow screen. Text is set with textContent only.
import * as api from './api.js';
import { errorText, locale, t } from './i18n.js';
import { $, el, fmtBytes, fmtDate, fmtDateLong } from './util.js';

// An item's date: its own, or when it was stored when it has none (typed on
// the page, saved by SMS) — the same in the list and in the preview.
const itemDate = (it) => it.sent_at || it.saved_at;
// Received (1) or not known (0) is incoming; every other type went out.
const outgoing = (type) => type >= 2;
// An MMS address's header, as a word (From, To, Cc, Bcc) or its number.
const addrWord = (type) => ([129, 130, 137, 151].includes(type) ? t(`addr_${type}`) : String(type));
// A number's TEL types as words ("CELL,PREF" → "mobile"; PREF is what
// "current" says).
const telWords = (types) => (types || '').split(',').filter((x) => x && x !== 'PREF')
  .map((x) => { const w = t(`tel_${x}`); return w === `tel_${x}` ? x.toLowerCase() : w; }).join(', ');
// A contact name the phone knew (the app writes "(Unknown)" when it knew none).
const knownName = (n) => n && n !== 'null' && n !== '(Unknown)' ? n : '';

export const KINDS = {
  sms: {
    api: '/api/sms', noun: 'noun_sms',
    title: (it) => knownName(it.contact_name) || it.peer || t('unknown_number'),
    snippet: (it) => it.body,
    dir: (it) => it.type,
    formats: () => [['xml', t('fmt_sms_xml')], ['csv', t('fmt_csv')]],
    accept: '.xml,.csv,text/xml,text/csv',
    hint: 'hint_sms',
  },
  mms: {
    api: '/api/mms', noun: 'noun_mms',
    title: (it) => knownName(it.contact_name) || it.peer || t('unknown_number'),
    snippet: (it) => [it.subject, it.text].filter(Boolean).join(' — ') || t('attachments', { n: it.nparts }),
    dir: (it) => it.msg_box,
    formats: () => [['xml', t('fmt_sms_xml')]],
    accept: '.xml,text/xml',
    hint: 'hint_mms',
  },
  // a row is a person (issue 10): its current number, and how many older ones
  contacts: {
    api: '/api/contacts', noun: 'noun_contacts',
    title: (it) => it.name,
    snippet: (it) => [it.number, it.numbers.length > 1 ? t('more_numbers', { n: it.numbers.length - 1 }) : '']
      .filter(Boolean).join(' · '),
    dir: () => null,
    formats: () => [['vcard', t('fmt_vcard')], ['csv', t('fmt_csv')]],
    accept: '.vcf,.vcard,.csv,text/vcard,text/csv',
    hint: 'hint_contacts',
  },
};

export function noun(kind, n = 2) { return t(KINDS[kind].noun, { n }); }

// The little arrow a row shows: ↙ came in, ↗ went out, with its word.
function direction(type) {
  if (type === null || type === undefined || type === 0) return null;
  const word = t(`dir_${type}`);
  return el('span', { class: `dir ${outgoing(type) ? 'out' : 'in'}`, title: word, 'aria-label': word,
    text: outgoing(type) ? '↗' : '↙' });
}

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
    this.totalMore = false;   // being counted still: more than total, the whole count asked for
    this.upto = 0;            // the newest item shown: "all matching" stops there
    this.allMatching = false; // every item that matches is selected ...
    this.except = new Set();  // ... but these
    this.onSelectionChange = onSelectionChange;
    $('btn-more').addEventListener('click', () => this.loadMore());
    $('sel-all').addEventListener('change', (e) => this.selectAll(e.target.checked));
    $('sel-matching').addEventListener('click', () => this.selectAllMatching());
    let timer = 0;
    $('search').addEventListener('input', (e) => {
      clearTimeout(timer);
      timer = setTimeout(() => { this.query = e.target.value.trim(); this.reload(); }, 250);
    });
    // more rows when the end of the list comes into view, whether the list
    // scrolls in its pane (wide screens) or with the page (a phone)
    // (an entry may be stale by the time it is delivered — seen while the
    // list was empty during a reload — so "Load more" must still be near)
    new IntersectionObserver((seen) => {
      if (seen.some((e) => e.isIntersecting) && this.more && !this.loading && this.moreNear()) this.loadMore();
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
  // The selection as numbers, when every item of it is loaded (send to phone needs them).
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
    this.loading = false;
    this.items.clear();
    this.selected.clear();
    this.nextBefore = 0;
    this.more = false;
    this.active = 0;
    this.total = 0;
    this.totalCapped = false;
    this.totalMore = false;
    this.upto = 0;
    this.allMatching = false;
    this.except.clear();
    $('items').replaceChildren();
    $('sel-all').checked = false;
    $('items').dataset.loading = '1';
    this.showPreviewHint();
    this.changed();
    await this.loadMore();
  }

  // "Load more" shown and within 200 px below the visible part of the list
  moreNear() {
    const b = $('btn-more');
    if (b.hidden) return false;
    const r = b.getBoundingClientRect(), pane = $('items').getBoundingClientRect();
    return r.top < Math.min(window.innerHeight, pane.bottom) + 200;
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
        this.totalMore = !!page.total_more;
        this.upto = page.items.length ? page.items[0].n : 0;
        if (this.totalMore) this.countAll(gen);
      }
      for (const it of page.items) this.addRow(it);
      this.more = page.more;
      this.nextBefore = page.next_before || 0;
    } catch (e) {
      if (gen === this.generation) this.toast(errorText(e), true);
    } finally {
      if (gen === this.generation) {
        this.loading = false;
        delete $('items').dataset.loading;
        this.shown();
      }
    }
  }

  // The first page counted only its first matches: the whole count is a
  // request of its own, made after the page is shown (a common word of a
  // large archive takes a while to count).
  async countAll(gen) {
    const qs = new URLSearchParams({ count: '1', upto: String(this.upto) });
    if (this.query) qs.set('q', this.query);
    try {
      const c = await api.get(`${this.spec.api}?${qs}`);
      if (gen !== this.generation) return;
      this.total = c.total;
      this.totalCapped = c.total_capped;
    } catch (e) {
      if (gen === this.generation) this.toast(errorText(e), true);
    } finally {
      if (gen === this.generation) {
        this.totalMore = false;
        this.shown();
      }
    }
  }

  // What the list says about itself: how many matched, "Load more", and
  // "nothing" only when there is nothing more to load.
  shown() {
    $('btn-more').hidden = !this.more;
    $('empty').hidden = this.items.size > 0 || this.more;
    $('empty').textContent = this.query ? t('no_match') : t('empty');
    $('match-count').textContent = this.query
      ? t('n_matching', { n: this.total, capped: this.totalCapped || this.totalMore }) : '';
    this.changed();
  }

  // The page's language changed: every text the lists made.
  relabel() {
    const rows = [...this.items.values()];
    $('items').replaceChildren();
    for (const it of rows) this.addRow(it, true);
    this.shown();
    if (this.active) this.preview(this.active, { keepOpen: true });
    else this.showPreviewHint();
  }

  addRow(it, again = false) {
    const spec = this.spec;
    if (!again) this.items.set(it.n, it);
    const box = el('input', { type: 'checkbox', 'aria-label': t('select_item', { noun: noun(this.kind, 1), n: it.n }) });
    box.checked = this.allMatching ? !this.except.has(it.n) : this.selected.has(it.n) || (!again && $('sel-all').checked);
    if (box.checked && !this.allMatching) this.selected.add(it.n);
    box.addEventListener('click', (e) => e.stopPropagation());
    box.addEventListener('change', () => {
      if (this.allMatching) {
        if (box.checked) this.except.delete(it.n); else this.except.add(it.n);
      } else if (box.checked) this.selected.add(it.n); else this.selected.delete(it.n);
      if (!box.checked) $('sel-all').checked = false;
      this.changed();
    });
    const title = el('span', { class: 'title' }, direction(spec.dir(it)), el('span', { text: spec.title(it) }));
    const row = el('li', { class: `item${this.active === it.n ? ' active' : ''}`, 'data-n': String(it.n) },
      box, title,
      el('span', { class: 'date', text: fmtDate(this.kind === 'contacts' ? it.uploaded_at : itemDate(it)) }),
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
    $('sel-count').textContent = n ? t(this.allMatching ? 'all_n_selected' : 'n_selected', { n }) : '';
    $('btn-delete').disabled = n === 0;
    $('sel-all').indeterminate = this.allMatching && this.except.size > 0;
    // every loaded row ticked and more match than are loaded: offer them all
    // (not while they are being counted: the offer names how many)
    const offer = !this.allMatching && !this.totalMore && $('sel-all').checked && this.total > this.items.size;
    $('sel-matching').hidden = !offer;
    $('sel-matching').textContent = t('select_all_matching', { n: this.total, capped: this.totalCapped, q: this.query });
    this.onSelectionChange();
  }

  showPreviewHint() {
    this.active = 0;
    $('preview-body').replaceChildren(el('p', { class: 'muted', text: t('preview_hint') }));
    this.closePreview();
  }

  // On a narrow screen the preview is a sheet over the list.
  closePreview() {
    document.body.classList.remove('preview-open');
  }

  async preview(n, { keepOpen = false } = {}) {
    this.active = n;
    for (const r of $('items').children) r.classList.toggle('active', Number(r.dataset.n) === n);
    const kind = this.kind;
    const pane = $('preview-body');
    if (!keepOpen) {
      document.body.classList.add('preview-open');
      $('preview').scrollTop = 0;
    }
    try {
      const it = await api.get(`${KINDS[kind].api}/${n}`);
      if (this.active !== n || this.kind !== kind) return;
      pane.replaceChildren(...(kind === 'sms' ? this.smsPreview(it) : kind === 'mms' ? this.mmsPreview(it)
        : this.contactPreview(it)));
    } catch (e) {
      pane.replaceChildren(el('p', { class: 'msg', text: errorText(e) }));
    }
  }

  // "Received · From +86…" / "Sent · To +86…"
  whoLine(type, peer, name) {
    const who = [knownName(name), peer].filter(Boolean).join(' ');
    const parts = [];
    if (type) parts.push(t(`dir_${type}`));
    if (who) parts.push(t(outgoing(type) ? 'to_peer' : 'from_peer', { peer: who }));
    return el('div', { class: `who-line ${outgoing(type) ? 'out' : 'in'}`, id: 'preview-dir' },
      direction(type), el('span', { text: parts.join(' · ') }));
  }

  smsPreview(it) {
    const lc = locale();
    const meta = [t('sms_n', { n: it.n }), fmtDateLong(itemDate(it), lc) || t('date_unknown')];
    if (it.date_sent && outgoing(it.type) === false) meta.push(t('sent_at', { date: fmtDateLong(it.date_sent, lc) }));
    if (it.sent_at) meta.push(t('saved_at', { date: fmtDateLong(it.saved_at, lc) }));
    meta.push(fmtBytes(it.size));
    const out = [
      el('h3', { text: knownName(it.contact_name) || it.peer || t('unknown_number') }),
      this.whoLine(it.type, it.peer, it.contact_name),
      el('div', { class: 'meta', id: 'preview-meta', text: meta.join(' · ') }),
    ];
    if (it.phone) out.push(el('div', { class: 'meta', text: t('saved_from_phone', { phone: it.phone }) }));
    out.push(el('div', { class: 'text', id: 'preview-text', text: it.body }));
    return out;
  }

  mmsPreview(it) {
    const lc = locale();
    const out = [
      el('h3', { text: it.subject || t('no_subject') }),
      this.whoLine(it.msg_box, it.peer, it.contact_name),
      el('div', { class: 'meta', id: 'preview-meta', text: [t('mms_n', { n: it.n }),
        fmtDateLong(itemDate(it), lc) || t('date_unknown'), fmtBytes(it.size)].join(' · ') }),
    ];
    const addrs = (it.addrs || []).filter((a) => a.address && a.address !== 'insert-address-token');
    if (addrs.length > 1) {
      out.push(el('ul', { class: 'addrs' }, ...addrs.map((a) =>
        el('li', {}, el('span', { class: 'muted', text: `${addrWord(a.type)}: ` }),
          el('span', { text: a.address })))));
    }
    if (it.delivery) {
      /* queued → submitted → delivered | failed (or sent, with reports off):
       * where "send to my phone" got */
      const d = it.delivery;
      out.push(el('div', { class: 'meta', id: 'preview-delivery',
        text: t('delivery', { phone: d.phone, state: t(`delivery_${d.state}`), reason: d.reason,
          date: fmtDate(d.updated_at) }) }));
    }
    for (const p of it.parts) {
      const url = `/api/mms/${it.n}/parts/${p.seq + 1}`;
      const name = p.name || p.content_location || p.content_type;
      if (p.text !== undefined) out.push(el('div', { class: 'text', text: p.text }));
      else if (p.inline && p.content_type.startsWith('image/')) out.push(el('img', { src: url, alt: name }));
      else {
        const label = p.content_type.startsWith('application/smil') ? `${name} — ${t('layout')}` : name;
        out.push(el('p', { class: 'attachment' }, el('a', { href: url, download: name, text: `📎 ${label} (${fmtBytes(p.size)})` })));
      }
    }
    return out;
  }

  contactPreview(it) {
    const lc = locale();
    const list = el('ul', { class: 'numbers' });
    for (const c of it.numbers) {
      const words = telWords(c.types);
      const li = el('li', { class: c.current ? 'current' : '', 'data-number': c.number },
        el('span', {}, el('strong', { text: c.number }), words ? el('span', { class: 'muted tel-type', text: ` ${words}` }) : null,
          c.current ? el('span', { class: 'badge', text: t('current_number') }) : el('span', { class: 'badge old', text: t('older') })),
        el('span', { class: 'muted', text: t('uploaded', { date: fmtDateLong(c.uploaded_at, lc) }) }));
      list.append(li);
    }
    return [
      el('h3', { text: it.name }),
      el('div', { class: 'meta', text: t('numbers_note', { n: it.numbers.length }) }),
      list,
    ];
  }

  toast(text, error = false) {
    const tt = $('toast');
    tt.textContent = text;
    tt.classList.toggle('error', error);
    tt.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { tt.hidden = true; }, error ? 7000 : 4000);
  }
}
