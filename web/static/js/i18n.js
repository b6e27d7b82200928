// i18n — every text of the page in English and Chinese (issue 10). The
// language is the account's (users.lang: the same the SMS replies use, and
// the page's switch sets it as the account's LANG choice), or before login
// the one chosen on this page earlier, else the browser's Accept-Language
// (GET /api/page). A text is t(key, {params}); an entry is a string with
// {name} places or a function of the params (plurals). The static page
// names its texts with data-i18n (textContent), data-i18n-ph (placeholder),
// data-i18n-aria (aria-label) and data-i18n-title (title).
// Chinese punctuation is full-width (，：；（）！), as in the SMS replies.

const en = {
  title: 'smsvault · keep your texts',
  lang_switch: '中文',
  lang_switch_aria: '切换到中文',
  account: 'Account',
  logout: 'Log out',
  login: 'Log in',
  register: 'Register',
  create_account: 'Create account',
  username: 'Username',
  password: 'Password',
  auth_hint: 'Keep your text messages, MMS and contacts safe. Registered from your phone? Use the same username and password.',
  space: 'Space',
  usage: (p) => `${p.used} used of ${p.alloc} (${p.pct}%)`,
  grown_on: (p) => `Your space last grew on ${p.date}. It grows by itself when it is nearly full.`,
  grows: 'Your space grows by itself when it is nearly full.',
  tab_sms: 'SMS',
  tab_mms: 'MMS',
  tab_contacts: 'Contacts',
  all: 'All',
  search: 'Search…',
  search_aria: 'Search',
  upload: '⬆ Upload',
  download: '⬇ Download',
  delete: '🗑 Delete',
  items_aria: 'Items',
  empty: 'Nothing here yet. Use Upload to add some.',
  no_match: 'No match.',
  load_more: 'Load more',
  preview_hint: 'Select an item to preview it.',
  close: '✕ Close',
  close_plain: 'Close',
  cancel: 'Cancel',
  // what a list says about its selection
  n_selected: (p) => `${p.n} selected`,
  all_n_selected: (p) => `All ${p.n} selected`,
  select_all_matching: (p) => p.q ? `Select all ${p.capped ? 'first ' : ''}${p.n} matching` : `Select all ${p.capped ? 'first ' : ''}${p.n}`,
  n_matching: (p) => `${p.capped ? 'more than ' : ''}${p.n} matching`,
  select_item: (p) => `Select ${p.noun} ${p.n}`,
  // kinds
  noun_sms: (p) => 'SMS',
  noun_mms: (p) => 'MMS',
  noun_contacts: (p) => (p.n === 1 ? 'contact' : 'contacts'),
  unknown_number: 'Unknown number',
  attachments: (p) => `${p.n} attachment${p.n === 1 ? '' : 's'}`,
  fmt_sms_xml: 'SMS Backup & Restore XML',
  fmt_csv: 'CSV (spreadsheet)',
  fmt_vcard: 'vCard (.vcf)',
  hint_sms: 'SMS Backup & Restore XML (SMS and MMS, every field kept) or CSV with a "body" column. Duplicates are skipped.',
  hint_mms: 'SMS Backup & Restore XML; its MMS (and SMS) are imported, every part kept. Duplicates are skipped.',
  hint_contacts: 'vCard 2.1 / 3.0 with any number of contacts, or CSV with "name" and "number" columns.',
  // direction
  dir_1: 'Received',
  dir_2: 'Sent',
  dir_3: 'Draft',
  dir_4: 'Outbox',
  dir_5: 'Failed',
  dir_6: 'Queued',
  from_peer: (p) => `From ${p.peer}`,
  to_peer: (p) => `To ${p.peer}`,
  saved_from_phone: (p) => `Saved by SMS from your phone ${p.phone}`,
  addr_137: 'From',
  addr_151: 'To',
  addr_130: 'Cc',
  addr_129: 'Bcc',
  // previews
  date_unknown: 'date unknown',
  saved_at: (p) => `saved ${p.date}`,
  sent_at: (p) => `sent ${p.date}`,
  sms_n: (p) => `SMS #${p.n}`,
  mms_n: (p) => `MMS #${p.n}`,
  no_subject: '(no subject)',
  layout: 'layout (SMIL)',
  delivery: (p) => `Sent to ${p.phone}: ${p.state}${p.reason ? ` (${p.reason})` : ''} · ${p.date}`,
  delivery_queued: 'queued', delivery_sending: 'sending', delivery_submitted: 'submitted',
  delivery_delivered: 'delivered', delivery_failed: 'failed', delivery_sent: 'sent (no delivery report)',
  current_number: 'current number',
  current: 'current',
  older: 'older',
  uploaded: (p) => `uploaded ${p.date}`,
  numbers_note: (p) => `${p.n} number${p.n === 1 ? '' : 's'} — the newest upload is the current number`,
  more_numbers: (p) => `+${p.n} older`,
  tel_CELL: 'mobile', tel_HOME: 'home', tel_WORK: 'work', tel_FAX: 'fax', tel_VOICE: 'voice', tel_PAGER: 'pager',
  tel_MSG: 'messages', tel_VIDEO: 'video', tel_TEXT: 'text', tel_OTHER: 'other',
  // delete
  delete_title: (p) => `Delete ${p.all ? `all ${p.n} matching` : p.n} ${p.noun}?`,
  delete_text: 'They are removed from your archive for good; the space they used is freed.',
  delete_ok: 'Delete',
  deleted: (p) => `Deleted ${p.n} · freed ${p.bytes}`,
  // upload
  upload_title: (p) => `Upload ${p.noun}`,
  import_file: 'Import a file',
  optional: 'optional',
  type_sms: 'Type or paste an SMS',
  type_sms_ph: 'Type or paste the message',
  peer_label: 'From / to',
  direction_label: 'Direction',
  save_sms: 'Save SMS',
  sms_empty: 'The message is empty.',
  make_mms: 'Make an MMS from pictures and text',
  subject: 'Subject',
  mms_text_ph: 'Text (optional)',
  pictures: 'Pictures',
  save_mms: 'Save MMS',
  mms_empty: 'Add some text or pick images.',
  add_contact: 'Add a contact (a new number for a known name becomes the current one)',
  name: 'Name',
  number: 'Number',
  save_contact: 'Save contact',
  contact_empty: 'A contact needs a name and a number.',
  saved_as: (p) => `Saved as #${p.n}.`,
  refused: (p) => `Refused: ${p.why}`,
  too_big_file: (p) => `Not imported: ${p.name} is ${p.size}; files up to ${p.max} are accepted. Split it and try again.`,
  uploading: (p) => `Uploading ${p.name}…`,
  saving: 'Saving…',
  not_imported: (p) => `Not imported: ${p.why}`,
  imported: (p) => `Imported ${p.n}`,
  imported_kinds: (p) => [p.sms && `${p.sms} SMS`, p.mms && `${p.mms} MMS`,
    p.contacts && `${p.contacts} contact${p.contacts === 1 ? '' : 's'}`].filter(Boolean).join(', '),
  already_stored: (p) => `${p.n} already stored (skipped)`,
  unusable: (p) => `${p.n} unusable`,
  // download
  download_title: 'Download',
  which_items: 'Which items',
  the_n_selected: (p) => `The ${p.n} selected`,
  none_selected: 'Selected (none yet)',
  everything: 'Everything in this list',
  to_pc_as: 'To the PC as',
  send_phone: '📱 Send to my phone',
  download_file: 'Download file',
  saved_file: (p) => `Saved ${p.name} (${p.size}).`,
  queued: (p) => `Queued ${p.n} message${p.n === 1 ? '' : 's'} to ${p.phones}. They arrive shortly.`,
  send_max: (p) => `Send at most ${p.max} at a time to the phone.`,
  // account
  phones_linked: 'Phones linked to this account',
  no_phone_yet: 'No phone linked yet. Link one to send items to it.',
  unlink: 'Unlink',
  phone_number: 'Phone number',
  text_code: 'Text me a code',
  code_ph: '6-digit code',
  code_aria: 'Code',
  link_phone: 'Link phone',
  change_password: 'Change password',
  old_password: 'Current password',
  new_password: 'New password (8+ characters)',
  code_sent: (p) => `A code is on its way by SMS. Type it within ${p.min} minutes.`,
  phone_linked: 'Phone linked.',
  password_changed: 'Password changed. Other sessions were logged out.',
  // errors, by what the server answered (api.js ApiError: status and code)
  err_network: 'The connection to the server failed.',
  err_login_again: 'Your session ended. Please log in again.',
  err_wrong_login: 'Wrong username or password.',
  err_throttled: (p) => `Too many failed attempts with this name. Try again in ${p.wait}.`,
  err_codes_many: (p) => `Too many codes were asked for. Try again in ${p.wait}.`,
  err_code_locked: (p) => `Too many wrong codes for this number. Try again in ${p.wait}.`,
  err_prefix: (p) => `Codes are texted only to numbers in international form starting with ${p.prefixes}.`,
  wait_s: (p) => `${p.n} s`,
  wait_min: (p) => `${p.n} min`,
  err_taken: 'That username is taken.',
  err_account_rules: (p) => `A username is ${p.username_min}–${p.username_max} letters, digits, "_", "." or "-", starting with a letter or digit; a password is ${p.password_min}–${p.password_max} characters.`,
  err_password_rules: (p) => `A password is ${p.password_min}–${p.password_max} characters.`,
  err_old_password: 'The current password is wrong.',
  err_no_space: 'Not enough space: your storage cannot grow any further, so nothing was saved.',
  err_no_phone: 'Link a phone to your account first (Account → Link phone).',
  err_too_large: 'The file is too large.',
  err_too_many: (p) => `At most ${p.max} items at once: narrow the search, then try again.`,
  err_malformed: (p) => `the file is not well formed (${p.detail})`,
  err_busy: 'The server is busy; please try again.',
  err_downloads_running: 'Your other downloads are still running; try again when one has finished.',
  err_server: 'Something went wrong on the server.',
  err_not_found: 'Not found.',
  err_code: 'Wrong or expired code.',
  err_phone: (p) => `A phone number has ${p.phone_digits_min} to ${p.phone_digits_max} digits ("+", spaces, "-", "." and brackets may go between them).`,
  err_contact: (p) => `A contact needs a name and a phone number of at least ${p.contact_digits_min} digits.`,
  err_invalid: 'The input was refused; check the fields and try again.',
};

const zh = {
  title: '短信保险箱 · smsvault',
  lang_switch: 'English',
  lang_switch_aria: 'Switch to English',
  account: '账户',
  logout: '退出',
  login: '登录',
  register: '注册',
  create_account: '创建账户',
  username: '用户名',
  password: '密码',
  auth_hint: '安全保存您的短信、彩信和联系人。已经用手机注册过？请用同样的用户名和密码登录。',
  space: '空间',
  usage: (p) => `已用 ${p.used}，共 ${p.alloc}（${p.pct}%）`,
  grown_on: (p) => `您的空间最近一次在 ${p.date} 扩大。空间快满时会自动扩大。`,
  grows: '空间快满时会自动扩大。',
  tab_sms: '短信',
  tab_mms: '彩信',
  tab_contacts: '联系人',
  all: '全选',
  search: '搜索…',
  search_aria: '搜索',
  upload: '⬆ 上传',
  download: '⬇ 下载',
  delete: '🗑 删除',
  items_aria: '条目',
  empty: '这里还没有内容。点击“上传”添加。',
  no_match: '没有找到。',
  load_more: '加载更多',
  preview_hint: '选择一项即可预览。',
  close: '✕ 关闭',
  close_plain: '关闭',
  cancel: '取消',
  n_selected: (p) => `已选 ${p.n} 项`,
  all_n_selected: (p) => `已选全部 ${p.n} 项`,
  select_all_matching: (p) => p.q ? `选择全部 ${p.capped ? '前 ' : ''}${p.n} 条匹配项` : `选择全部 ${p.capped ? '前 ' : ''}${p.n} 项`,
  n_matching: (p) => `${p.capped ? '超过 ' : ''}${p.n} 条匹配`,
  select_item: (p) => `选择${p.noun} ${p.n}`,
  noun_sms: () => '短信',
  noun_mms: () => '彩信',
  noun_contacts: () => '联系人',
  unknown_number: '未知号码',
  attachments: (p) => `${p.n} 个附件`,
  fmt_sms_xml: 'SMS Backup & Restore XML',
  fmt_csv: 'CSV（电子表格）',
  fmt_vcard: 'vCard（.vcf）',
  hint_sms: 'SMS Backup & Restore XML（短信和彩信，所有字段都保留），或带有“body”列的 CSV。重复的会跳过。',
  hint_mms: 'SMS Backup & Restore XML；导入其中的彩信（和短信），每个部分都保留。重复的会跳过。',
  hint_contacts: '包含任意数量联系人的 vCard 2.1 / 3.0，或带有“name”和“number”列的 CSV。',
  dir_1: '收到',
  dir_2: '已发送',
  dir_3: '草稿',
  dir_4: '待发送',
  dir_5: '发送失败',
  dir_6: '排队中',
  from_peer: (p) => `来自 ${p.peer}`,
  to_peer: (p) => `发给 ${p.peer}`,
  saved_from_phone: (p) => `用短信从您的手机 ${p.phone} 保存`,
  addr_137: '发件人',
  addr_151: '收件人',
  addr_130: '抄送',
  addr_129: '密送',
  date_unknown: '日期未知',
  saved_at: (p) => `保存于 ${p.date}`,
  sent_at: (p) => `发送于 ${p.date}`,
  sms_n: (p) => `短信 #${p.n}`,
  mms_n: (p) => `彩信 #${p.n}`,
  no_subject: '（无主题）',
  layout: '版式（SMIL）',
  delivery: (p) => `已发送到 ${p.phone}：${p.state}${p.reason ? `（${p.reason}）` : ''} · ${p.date}`,
  delivery_queued: '排队中', delivery_sending: '发送中', delivery_submitted: '已提交',
  delivery_delivered: '已送达', delivery_failed: '失败', delivery_sent: '已发出（无送达报告）',
  current_number: '当前号码',
  current: '当前',
  older: '旧号码',
  uploaded: (p) => `上传于 ${p.date}`,
  numbers_note: (p) => `${p.n} 个号码——最新上传的是当前号码`,
  more_numbers: (p) => `另有 ${p.n} 个旧号码`,
  tel_CELL: '手机', tel_HOME: '住宅', tel_WORK: '工作', tel_FAX: '传真', tel_VOICE: '语音', tel_PAGER: '寻呼',
  tel_MSG: '短信', tel_VIDEO: '视频', tel_TEXT: '文字', tel_OTHER: '其他',
  delete_title: (p) => `删除${p.all ? `全部 ${p.n} 条匹配的` : ` ${p.n} 条`}${p.noun}？`,
  delete_text: '删除后将从存档中永久移除，所占空间会被释放。',
  delete_ok: '删除',
  deleted: (p) => `已删除 ${p.n} 项 · 释放 ${p.bytes}`,
  upload_title: (p) => `上传${p.noun}`,
  import_file: '导入文件',
  optional: '可选',
  type_sms: '输入或粘贴一条短信',
  type_sms_ph: '输入或粘贴短信内容',
  peer_label: '对方号码',
  direction_label: '方向',
  save_sms: '保存短信',
  sms_empty: '短信内容为空。',
  make_mms: '用图片和文字制作一条彩信',
  subject: '主题',
  mms_text_ph: '文字（可选）',
  pictures: '图片',
  save_mms: '保存彩信',
  mms_empty: '请添加文字或选择图片。',
  add_contact: '添加联系人（已有姓名的新号码会成为当前号码）',
  name: '姓名',
  number: '号码',
  save_contact: '保存联系人',
  contact_empty: '联系人需要姓名和号码。',
  saved_as: (p) => `已保存为 #${p.n}。`,
  refused: (p) => `被拒绝：${p.why}`,
  too_big_file: (p) => `未导入：${p.name} 大小为 ${p.size}，最大只接受 ${p.max}。请拆分后再试。`,
  uploading: (p) => `正在上传 ${p.name}…`,
  saving: '正在保存…',
  not_imported: (p) => `未导入：${p.why}`,
  imported: (p) => `已导入 ${p.n} 项`,
  imported_kinds: (p) => [p.sms && `短信 ${p.sms} 条`, p.mms && `彩信 ${p.mms} 条`, p.contacts && `联系人 ${p.contacts} 个`]
    .filter(Boolean).join('，'),
  already_stored: (p) => `${p.n} 项已存在（已跳过）`,
  unusable: (p) => `${p.n} 项无法使用`,
  download_title: '下载',
  which_items: '哪些条目',
  the_n_selected: (p) => `选中的 ${p.n} 项`,
  none_selected: '选中的（尚未选择）',
  everything: '此列表中的全部',
  to_pc_as: '下载到电脑，格式',
  send_phone: '📱 发送到我的手机',
  download_file: '下载文件',
  saved_file: (p) => `已保存 ${p.name}（${p.size}）。`,
  queued: (p) => `已排队 ${p.n} 条短信发往 ${p.phones}，稍后送达。`,
  send_max: (p) => `每次最多发送 ${p.max} 项到手机。`,
  phones_linked: '绑定到此账户的手机',
  no_phone_yet: '还没有绑定手机。绑定后可以把条目发送到手机。',
  unlink: '解除绑定',
  phone_number: '手机号码',
  text_code: '给我发验证码',
  code_ph: '6 位验证码',
  code_aria: '验证码',
  link_phone: '绑定手机',
  change_password: '修改密码',
  old_password: '当前密码',
  new_password: '新密码（至少 8 个字符）',
  code_sent: (p) => `验证码已通过短信发出，请在 ${p.min} 分钟内输入。`,
  phone_linked: '手机已绑定。',
  password_changed: '密码已修改，其他会话已退出。',
  err_network: '无法连接到服务器。',
  err_login_again: '会话已结束，请重新登录。',
  err_wrong_login: '用户名或密码错误。',
  err_throttled: (p) => `此用户名失败次数过多，请 ${p.wait}后再试。`,
  err_codes_many: (p) => `请求的验证码太多，请 ${p.wait}后再试。`,
  err_code_locked: (p) => `此号码输错验证码次数过多，请 ${p.wait}后再试。`,
  err_prefix: (p) => `验证码只发送到以 ${p.prefixes} 开头的国际格式号码。`,
  wait_s: (p) => `${p.n} 秒`,
  wait_min: (p) => `${p.n} 分钟`,
  err_taken: '该用户名已被占用。',
  err_account_rules: (p) => `用户名为 ${p.username_min}–${p.username_max} 个字母、数字、“_”“.”或“-”，以字母或数字开头；密码为 ${p.password_min}–${p.password_max} 个字符。`,
  err_password_rules: (p) => `密码为 ${p.password_min}–${p.password_max} 个字符。`,
  err_old_password: '当前密码错误。',
  err_no_space: '空间不足：存储空间无法再扩大，未保存任何内容。',
  err_no_phone: '请先给账户绑定手机（账户 → 绑定手机）。',
  err_too_large: '文件太大。',
  err_too_many: (p) => `一次最多 ${p.max} 项：请缩小搜索范围后再试。`,
  err_malformed: (p) => `文件格式不正确（${p.detail}）`,
  err_busy: '服务器繁忙，请重试。',
  err_downloads_running: '您的其他下载仍在进行，请等其中一个完成后再试。',
  err_server: '服务器出错了。',
  err_not_found: '未找到。',
  err_code: '验证码错误或已过期。',
  err_phone: (p) => `手机号码为 ${p.phone_digits_min} 到 ${p.phone_digits_max} 位数字（中间可以有“+”、空格、“-”、“.”和括号）。`,
  err_contact: (p) => `联系人需要姓名和至少 ${p.contact_digits_min} 位数字的号码。`,
  err_invalid: '输入被拒绝，请检查后重试。',
};

export const DICTS = { en, zh };
export let lang = 'en';
// The numbers the texts say, as the server enforces them (GET /api/page: common/limit.h).
let limits = {};
export function setLimits(l) { limits = l || {}; }

export function t(key, p = {}) {
  const d = (DICTS[lang] && DICTS[lang][key]) ?? en[key];
  if (d === undefined) return key;
  return typeof d === 'function' ? d(p) : d;
}

// The locale dates are written in; the time zone is always the browser's.
export function locale() { return lang === 'zh' ? 'zh-CN' : 'en-GB'; }

export function setLang(l) {
  lang = l === 'zh' ? 'zh' : 'en';
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll('[data-i18n-ph]')) e.placeholder = t(e.dataset.i18nPh);
  for (const e of document.querySelectorAll('[data-i18n-aria]')) e.setAttribute('aria-label', t(e.dataset.i18nAria));
  for (const e of document.querySelectorAll('[data-i18n-title]')) e.title = t(e.dataset.i18nTitle);
}

// What the server's refusal means, in the page's language. ctx names the
// action where one status means different things (login, password, phone,
// code, contact, register, import, delete).
export function errorText(e, ctx = '') {
  const s = e.status || 0, code = (e.data && e.data.error) || '';
  if (s === 0) return t('err_network');
  if (s === 401) return t('err_login_again');
  if (s === 429) {
    // the wait as people say it: seconds under a minute, then minutes rounded up (issue 11)
    const w = (e.data && e.data.retry_after) || 1;
    const wait = w < 60 ? t('wait_s', { n: w }) : t('wait_min', { n: Math.ceil(w / 60) });
    const why = (e.data && e.data.refused) || '';
    if (why === 'code_pair_locked' || why === 'code_confirm_locked') return t('err_code_locked', { wait });
    if (why.startsWith('code_')) return t('err_codes_many', { wait });
    if (why === 'export_per_user') return t('err_downloads_running');
    return t('err_throttled', { wait });
  }
  if (s === 400 && e.data && e.data.refused === 'code_prefix') return t('err_prefix', { prefixes: e.data.prefixes });
  if (s === 403 && code === 'denied') return t(ctx === 'password' ? 'err_old_password' : ctx === 'code' ? 'err_code' : 'err_wrong_login');
  if (s === 409 && code === 'no_phone') return t('err_no_phone');
  if (s === 409) return ctx === 'register' ? t('err_taken') : t('err_invalid');
  if (s === 507) return t('err_no_space');
  if (s === 413) return t('err_too_large');
  if (s === 400 && code === 'too_many') return t('err_too_many', { max: limits.select_max });
  if (s === 400 && code === 'malformed') return t('err_malformed', { detail: e.message });
  if (s === 400) {
    const by = { register: 'err_account_rules', password: 'err_password_rules', phone: 'err_phone', contact: 'err_contact' };
    return t(by[ctx] || 'err_invalid', limits);
  }
  if (s === 404) return t('err_not_found');
  if (s === 503) return t('err_busy');
  return t('err_server');
}
