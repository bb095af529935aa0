// The fill-in page of `nianbao serve`. Everything the report consists of, the
// tables with their merged cells, the labels, the sections, the text blocks
// and their template variables, comes from GET /api/spec; this file spells
// no label of the format. The page keeps what the clerk typed as strings
// (`state`), builds the report as JSON from it (`reportJson`), sums the
// totals as the clerk types, asks POST /api/check for the findings
// (debounced) and shows each next to the cell it names, and downloads the
// files from POST /api/render. A draft is kept in localStorage.
'use strict';

const DRAFT_KEY = 'nianbao.draft.v1';
const CHECK_DELAY_MS = 400;
const DRAFT_DELAY_MS = 300;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The format, from /api/spec. */
let spec = null;
/** What the clerk typed: `values` by key path, `text` by block name, `headings` as loaded. */
let state = { values: {}, text: {}, headings: {} };
/** Key path → the input or output element that shows it. */
const fields = new Map();
/** Excel cell (`依申请公开!D29`) → element, for findings named by cell only. */
const byExcelCell = new Map();

// ---------------------------------------------------------------------------
// Small DOM helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function setStatus(message, kind = 'info') {
  const status = document.getElementById('status');
  status.textContent = message;
  status.dataset.kind = kind;
}

/** `applications.new[0]` → ['applications', 'new', 0]. */
function pathOf(key) {
  const parts = [];
  for (const piece of key.split('.')) {
    const m = /^([^\[]+)((?:\[\d+\])*)$/.exec(piece);
    if (!m) { parts.push(piece); continue; }
    parts.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  return parts;
}

function setPath(object, key, value) {
  const parts = pathOf(key);
  let node = object;
  parts.forEach((part, i) => {
    if (i === parts.length - 1) { node[part] = value; return; }
    if (node[part] === undefined) node[part] = typeof parts[i + 1] === 'number' ? [] : {};
    node = node[part];
  });
}

function getPath(object, key) {
  let node = object;
  for (const part of pathOf(key)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[part];
  }
  return node;
}

// ---------------------------------------------------------------------------
// Building the page from the spec

function build() {
  const main = document.getElementById('report');
  main.replaceChildren();
  main.append(basicInfoSection());
  spec.outline.sections.forEach((heading, index) => {
    const section = el('section', { class: 'section', 'aria-labelledby': `section-${index}` },
      el('h2', { id: `section-${index}`, text: heading }));
    const table = spec.tables.find((t) => t.heading === heading);
    if (table) section.append(buildTable(table));
    const blocks = spec.outline.blocks.filter((b) => b.section === index);
    if (index === 0 && blocks.length) section.append(variablesLegend());
    for (const field of spec.basic_info.filter((f) => f.section === index)) {
      section.append(basicField(field));
    }
    for (const block of blocks) section.append(textBlock(block));
    main.append(section);
  });
}

function basicInfoSection() {
  const section = el('section', { class: 'section basic', 'aria-labelledby': 'basic-info' },
    el('h2', { id: 'basic-info', text: spec.basic_info_title }));
  for (const field of spec.basic_info.filter((f) => f.section === null)) {
    section.append(basicField(field));
  }
  return section;
}

function basicField(field) {
  const id = `f-${field.key.replace(/\W/g, '-')}`;
  const type = { year: 'number', date: 'date' }[field.value] || 'text';
  const input = el('input', {
    id, type, 'data-key': field.key, autocomplete: 'off',
    inputmode: field.value === 'count' ? 'numeric' : field.value === 'amount' ? 'decimal' : null,
    required: field.required, min: field.value === 'year' ? 2000 : null, max: field.value === 'year' ? 2100 : null,
  });
  input.value = state.values[field.key] ?? '';
  input.addEventListener('input', () => changed(field.key, input.value));
  fields.set(field.key, input);
  return el('div', { class: 'field' }, el('label', { for: id, text: field.label }), input);
}

/** A mandated table with its merges: header rows in <thead>, labels as <th>. */
function buildTable(t) {
  const total = t.widths.reduce((a, b) => a + b, 0);
  const colgroup = el('colgroup');
  for (const w of t.widths) colgroup.append(el('col', { style: `width:${(100 * w / total).toFixed(2)}%` }));
  const table = el('table', { class: 'grid', id: `table-${t.id}`, 'aria-label': `${t.name} ${t.heading}` }, colgroup);
  const head = el('thead');
  const body = el('tbody');
  const rows = Array.from({ length: t.rows }, () => el('tr'));
  const cells = [...t.cells].sort((a, b) => a.row - b.row || a.col - b.col);
  for (const c of cells) {
    const attrs = {
      rowspan: c.row_span > 1 ? c.row_span : null,
      colspan: c.col_span > 1 ? c.col_span : null,
      class: [c.align === 'left' ? 'left' : '', c.emphasis ? 'emphasis' : '', c.kind].filter(Boolean).join(' '),
      'data-excel': c.excel_cell,
    };
    let node;
    if (c.kind === 'label') {
      node = el('th', { ...attrs, scope: c.row < t.header_rows ? 'col' : null, text: c.text });
    } else if (c.kind === 'input') {
      const input = el('input', {
        type: 'text', inputmode: c.value === 'amount' ? 'decimal' : 'numeric', autocomplete: 'off',
        'data-key': c.key, 'data-table': t.id, 'data-row': c.row, 'data-col': c.col,
        'aria-label': c.words, placeholder: '0', id: `c-${c.key.replace(/\W/g, '-')}`,
      });
      input.value = state.values[c.key] ?? '';
      input.addEventListener('input', () => changed(c.key, input.value));
      input.addEventListener('keydown', moveOnEnter);
      fields.set(c.key, input);
      byExcelCell.set(c.excel_cell, input);
      node = el('td', attrs, input);
    } else {
      const output = el('output', { 'data-key': c.key, 'aria-label': c.words, 'data-total': true });
      fields.set(c.key, output);
      byExcelCell.set(c.excel_cell, output);
      node = el('td', attrs, output);
    }
    rows[c.row].append(node);
  }
  rows.forEach((row, i) => (i < t.header_rows ? head : body).append(row));
  if (t.header_rows > 0) table.append(head);
  table.append(body);
  return el('div', { class: 'table-wrap' }, el('p', { class: 'table-name', text: t.name }), table);
}

/** The variables a template uses, in the order they first appear. */
function variablesUsed(template) {
  const known = new Map(spec.templates.variables.map((v) => [v.path, v.words]));
  const used = new Map();
  for (const m of template.matchAll(/\{\{~?[#\/]?([^}]*)\}\}/g)) {
    for (const token of m[1].split(/[\s()]+/)) {
      if (known.has(token) && !used.has(token)) used.set(token, known.get(token));
    }
  }
  return used;
}

function variableList(entries) {
  const dl = el('dl', { class: 'vars' });
  for (const [path, words] of entries) {
    dl.append(el('dt', {}, el('code', { text: `{{${path}}}` })), el('dd', { text: words }));
  }
  return dl;
}

function variablesLegend() {
  const helpers = el('dl', { class: 'vars' });
  for (const h of spec.templates.helpers) {
    helpers.append(el('dt', {}, el('code', { text: h.name })), el('dd', { text: h.use }));
  }
  return el('details', { class: 'legend' },
    el('summary', { text: '文字模板怎么写：全部变量与函数' }),
    el('p', { text: '各段文字预先填好了默认内容，可以直接修改。两对花括号中的名称（变量）在生成时换成表中的数字或基本信息，例如 {{year}} 换成所填的年份；不需要时可以删去，也可以直接写成具体的文字。' }),
    variableList(spec.templates.variables.map((v) => [v.path, v.words])),
    el('p', { text: '函数：' }),
    helpers);
}

function textBlock(block) {
  const id = `text-${block.name}`;
  const area = el('textarea', { id, 'data-block': block.name, rows: 6, spellcheck: 'false' });
  area.value = state.text[block.name] ?? block.template;
  area.addEventListener('input', () => {
    state.text[block.name] = area.value;
    scheduleDraft();
    scheduleCheck();
  });
  const reset = el('button', { type: 'button', class: 'small', text: '恢复默认文字' });
  reset.addEventListener('click', () => {
    area.value = block.template;
    delete state.text[block.name];
    scheduleDraft();
    scheduleCheck();
  });
  const used = variablesUsed(block.template);
  const help = used.size
    ? el('details', { class: 'vars-used' }, el('summary', { text: `默认文字用到的变量（${used.size} 个）` }), variableList(used))
    : null;
  return el('div', { class: 'block' }, el('label', { for: id, text: block.place }), area,
    el('div', { class: 'block-tools' }, reset, help));
}

// ---------------------------------------------------------------------------
// Keyboard: Enter moves down the column, Shift+Enter up, as in Excel; Tab
// moves along the row (the document order).

function moveOnEnter(event) {
  if (event.key !== 'Enter') return;
  event.preventDefault();
  const input = event.currentTarget;
  const table = input.dataset.table;
  const col = Number(input.dataset.col);
  const row = Number(input.dataset.row);
  const all = [...document.querySelectorAll('input[data-table]')];
  const down = !event.shiftKey;
  const sameColumn = all
    .filter((i) => i.dataset.table === table && Number(i.dataset.col) === col)
    .filter((i) => (down ? Number(i.dataset.row) > row : Number(i.dataset.row) < row))
    .sort((a, b) => (down ? 1 : -1) * (Number(a.dataset.row) - Number(b.dataset.row)));
  let next = sameColumn[0];
  if (!next) {
    const at = all.indexOf(input);
    next = all[down ? at + 1 : at - 1];
  }
  if (next) { next.focus(); next.select(); }
}

// ---------------------------------------------------------------------------
// State, totals and the report as JSON

function changed(key, value) {
  state.values[key] = value;
  if (key.startsWith('report.')) showTitle();
  recompute();
  scheduleDraft();
  scheduleCheck();
}

function showTitle() {
  const agency = (state.values['report.agency'] || '').trim();
  const year = (state.values['report.year'] || '').trim();
  const title = agency && year ? spec.title.replace('{agency}', agency).replace('{year}', year) : 'nianbao';
  document.getElementById('title').textContent = title;
  document.title = `${title} · 在线填报`;
}

/** A count as typed: '' is 0, digits are a number, anything else is NaN. */
function count(text) {
  const t = (text ?? '').trim();
  if (t === '') return 0;
  return /^\d+$/.test(t) ? Number(t) : NaN;
}

/** Totals in the order the spec lists them (a total may sum totals). */
function recompute() {
  for (const t of spec.tables) {
    const grid = new Map();
    for (const c of t.cells) {
      if (c.kind !== 'input') continue;
      const v = c.value === 'amount' ? null : count(state.values[c.key]);
      grid.set(`${c.row},${c.col}`, v);
      fields.get(c.key)?.classList.toggle('invalid', Number.isNaN(v));
    }
    for (const c of t.cells) {
      if (c.kind !== 'total') continue;
      let sum = 0;
      for (const [r, col] of c.terms) {
        const v = grid.get(`${r},${col}`);
        sum = v === null || v === undefined ? NaN : sum + v;
      }
      grid.set(`${c.row},${c.col}`, sum);
      const out = fields.get(c.key);
      if (out) out.textContent = Number.isNaN(sum) ? '？' : String(sum);
    }
  }
}

/** A number the clerk typed: digits as a JSON number, anything else as the
 * text itself, so that the service names the key and says what is wrong. */
function typed(text, kind) {
  const t = (text ?? '').trim();
  if (kind === 'amount') return t === '' ? 0 : t;
  if (kind === 'year' || kind === 'count') {
    if (t === '') return 0;
    return /^\d{1,15}$/.test(t) ? Number(t) : t;
  }
  return t;
}

/** The report as the JSON input of the service (the clerk's own words only
 * where they differ from the default text). */
function reportJson() {
  const report = {};
  for (const f of spec.basic_info) {
    const text = (state.values[f.key] ?? '').trim();
    if (text === '') continue;
    setPath(report, f.key, typed(text, f.value));
  }
  if (report.report === undefined) report.report = {};
  for (const t of spec.tables) {
    for (const c of t.cells) {
      if (c.kind === 'input') setPath(report, c.key, typed(state.values[c.key], c.value === 'amount' ? 'amount' : 'count'));
    }
  }
  const text = {};
  for (const b of spec.outline.blocks) {
    const own = state.text[b.name];
    if (own !== undefined && own !== b.template) text[b.name] = own;
  }
  if (Object.keys(text).length) report.text = text;
  if (Object.keys(state.headings).length) report.headings = state.headings;
  return report;
}

/** Fills the state from a report as JSON (the output of /api/convert, or a
 * draft from the county server: `quiet`, not saved back). */
function loadReport(report, quiet = false) {
  const values = {};
  const keys = [...spec.basic_info.map((f) => f.key)];
  for (const t of spec.tables) for (const c of t.cells) if (c.kind === 'input') keys.push(c.key);
  for (const key of keys) {
    const v = getPath(report, key);
    if (v !== undefined && v !== null) values[key] = String(v);
  }
  const text = {};
  for (const b of spec.outline.blocks) {
    const own = report.text?.[b.name];
    if (typeof own === 'string' && own !== '') text[b.name] = own;
  }
  state = { values, text, headings: report.headings || {} };
  refill(quiet);
}

function refill(quiet = false) {
  for (const [key, node] of fields) if (node.tagName === 'INPUT') node.value = state.values[key] ?? '';
  for (const area of document.querySelectorAll('textarea[data-block]')) {
    const block = spec.outline.blocks.find((b) => b.name === area.dataset.block);
    area.value = state.text[block.name] ?? block.template;
  }
  showTitle();
  recompute();
  if (!quiet) scheduleDraft();
  scheduleCheck();
}

// ---------------------------------------------------------------------------
// The draft in localStorage

let draftTimer = null;
function scheduleDraft() {
  if (me) { scheduleSave(); return; }
  clearTimeout(draftTimer);
  draftTimer = setTimeout(saveLocalDraft, DRAFT_DELAY_MS);
}

function saveLocalDraft() {
  clearTimeout(draftTimer);
  try {
    localStorage.setItem(DRAFT_KEY, JSON.stringify(state));
  } catch (e) {
    setStatus('浏览器不能保存草稿（存储已满或被禁用）：请及时“保存为 TOML”。', 'error');
  }
}

function restoreDraft() {
  try {
    const saved = JSON.parse(localStorage.getItem(DRAFT_KEY) || 'null');
    if (saved && typeof saved === 'object' && saved.values && typeof saved.values === 'object') {
      state = { values: { ...saved.values }, text: { ...(saved.text || {}) }, headings: { ...(saved.headings || {}) } };
      return true;
    }
  } catch (e) { /* a broken draft is dropped */ }
  return false;
}

// ---------------------------------------------------------------------------
// Findings from /api/check, next to their cells

let checkTimer = null;
let checkSeq = 0;
function scheduleCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(runCheck, CHECK_DELAY_MS);
}

/** The required fields of 基本信息 still empty, by label. */
function missingRequired() {
  return spec.basic_info.filter((f) => f.required && (state.values[f.key] ?? '').trim() === '').map((f) => f.label);
}

async function runCheck() {
  const seq = ++checkSeq;
  const missing = missingRequired();
  if (missing.length) {
    // Nothing to check yet: say what to fill in first, without a red error.
    clearFindings();
    setStatus(`请先填写${missing.join('、')}；填好后自动校验。`);
    return;
  }
  document.body.dataset.checking = 'true';
  try {
    const response = await post('/api/check', reportJson());
    if (seq !== checkSeq) return;
    const result = await response.json();
    if (response.ok) showFindings(result.findings, null);
    else showFindings([], result.error);
  } catch (e) {
    if (seq === checkSeq) setStatus(`无法连接服务：${e.message}`, 'error');
  } finally {
    if (seq === checkSeq) document.body.dataset.checking = 'false';
  }
}

function post(url, json) {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(json) });
}

function clearFindings() {
  for (const note of document.querySelectorAll('.finding')) note.remove();
  for (const node of document.querySelectorAll('[aria-invalid]')) {
    node.removeAttribute('aria-invalid');
    node.removeAttribute('aria-describedby');
  }
  document.getElementById('findings').replaceChildren();
}

/** The element a finding or an error names: by key path, else by workbook cell. */
function target(key, excelCell) {
  if (key) {
    if (fields.has(key)) return fields.get(key);
    const block = key.startsWith('text.') ? document.getElementById(`text-${key.slice(5)}`) : null;
    if (block) return block;
  }
  return excelCell ? byExcelCell.get(excelCell) : undefined;
}

function mark(node, id, text, severity) {
  const note = el('div', { class: `finding ${severity}`, id, text });
  node.setAttribute('aria-invalid', 'true');
  const described = node.getAttribute('aria-describedby');
  node.setAttribute('aria-describedby', described ? `${described} ${id}` : id);
  (node.closest('td') || node.parentElement).append(note);
}

function showFindings(findings, error) {
  clearFindings();
  const list = document.getElementById('findings');
  findings.forEach((f, i) => {
    const node = target(f.key, f.excel_cell);
    const id = `finding-${i}`;
    if (node) mark(node, id, `${f.rule} 应为 ${f.expected}，实为 ${f.found}`, f.severity);
    const item = el('li', { class: f.severity, 'data-rule': f.rule },
      el('button', { type: 'button', class: 'link', text: `${f.rule} ${f.cell}（${f.excel_cell}）` }),
      el('span', { text: `：应为 ${f.expected}，实为 ${f.found}。${f.message}` }));
    item.querySelector('button').addEventListener('click', () => node?.focus());
    list.append(item);
  });
  if (error) {
    const node = target(error.key, null);
    if (node) mark(node, 'input-error', error.message, 'error');
    list.append(el('li', { class: 'error' }, el('span', { text: error.message })));
    setStatus(`输入有误：${error.message}`, 'error');
    return;
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  if (errors) setStatus(`校验：${errors} 处错误${warnings ? `，${warnings} 处提醒` : ''}，改正后才能生成。`, 'error');
  else if (warnings) setStatus(`校验通过，${warnings} 处提醒。`, 'warning');
  else setStatus('校验通过。', 'ok');
}

// ---------------------------------------------------------------------------
// Files: download, save as TOML, load

/** The file name of a response: RFC 5987 `filename*`, else `filename`. */
function fileName(response, fallback) {
  const header = response.headers.get('Content-Disposition') || '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try { return decodeURIComponent(star[1]); } catch (e) { /* fall through */ }
  }
  const plain = /filename="([^"]+)"/i.exec(header);
  return plain ? plain[1] : fallback;
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

async function download(format) {
  setStatus('正在生成…');
  try {
    const response = await post(`/api/render?format=${format}`, reportJson());
    if (response.ok) {
      saveBlob(await response.blob(), fileName(response, `nianbao.${format}`));
      setStatus(`已生成：${fileName(response, format)}`, 'ok');
      return;
    }
    const result = await response.json();
    if (response.status === 422) showFindings(result.findings, null);
    else showFindings([], result.error);
  } catch (e) {
    setStatus(`生成失败：${e.message}`, 'error');
  }
}

async function saveToml() {
  try {
    const response = await post('/api/convert?to=toml', reportJson());
    if (!response.ok) {
      showFindings([], (await response.json()).error);
      return;
    }
    const agency = (state.values['report.agency'] || '').trim() || 'nianbao';
    const year = (state.values['report.year'] || '').trim();
    const name = `${spec.title.replace('{agency}', agency).replace('{year}', year)}.toml`;
    saveBlob(new Blob([await response.text()], { type: 'application/toml' }), name);
    setStatus(`已保存：${name}`, 'ok');
  } catch (e) {
    setStatus(`保存失败：${e.message}`, 'error');
  }
}

async function loadFile(file) {
  const lower = file.name.toLowerCase();
  const type = lower.endsWith('.toml') ? 'application/toml'
    : lower.endsWith('.json') ? 'application/json'
      : lower.endsWith('.xlsx') ? XLSX_TYPE : null;
  if (!type) {
    setStatus(`不能载入「${file.name}」：只能载入 .toml、.json 或填好的 .xlsx 填报表。`, 'error');
    return;
  }
  try {
    const response = await fetch(`/api/convert?to=json&source=${encodeURIComponent(file.name)}`, {
      method: 'POST', headers: { 'Content-Type': type }, body: await file.arrayBuffer(),
    });
    const result = await response.json();
    if (!response.ok) {
      const e = result.error;
      const where = [e.key, e.line && `第 ${e.line} 行`].filter(Boolean).join('，');
      setStatus(`不能载入「${file.name}」${where ? `（${where}）` : ''}：${e.message}`, 'error');
      return;
    }
    loadReport(result);
    setStatus(`已载入「${file.name}」。`, 'ok');
  } catch (e) {
    setStatus(`不能载入「${file.name}」：${e.message}`, 'error');
  }
}


// ---------------------------------------------------------------------------
// The county server (`nianbao serve --data`): log in; a clerk's report is
// saved on the server as they type (If-Match the version read: a second tab
// gets 409, never a silent overwrite), submitted, read-only until returned;
// the county's administrator sees every agency and downloads the county ZIP.

/** The logged-in account (GET /api/me), or null on the stateless service. */
let me = null;
/** The report on the server being edited or viewed: agency id, year, version, status. */
let serverReport = null;
let saveTimer = null;
let saving = null;
const SAVE_DELAY_MS = 1200;

function statusLabel(code) {
  return spec.statuses.find((s) => s.code === code)?.label ?? code;
}

/** A request to the county API: the session cookie goes by itself, the
 * CSRF token with every change. */
function api(method, url, json, headers = {}, raw = undefined) {
  const init = { method, headers: { ...headers }, credentials: 'same-origin' };
  if (method !== 'GET') init.headers['X-CSRF-Token'] = me?.csrf ?? '';
  if (raw !== undefined) init.body = raw;
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  }
  return fetch(url, init);
}

async function errorOf(response) {
  try { return (await response.json()).error?.message ?? `HTTP ${response.status}`; } catch (e) { return `HTTP ${response.status}`; }
}

function reportYear() {
  const now = new Date();
  return now.getFullYear() - (now.getMonth() < 8 ? 1 : 0);
}

function showLogin(message) {
  const login = document.getElementById('login');
  login.hidden = false;
  document.getElementById('report').hidden = true;
  document.getElementById('findings-panel').hidden = true;
  const name = el('input', { id: 'login-name', autocomplete: 'username', required: true });
  const password = el('input', { id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
  const button = el('button', { type: 'submit', text: '登录' });
  const form = el('form', { class: 'login-form' },
    el('h2', { id: 'login-title', text: '登录县级填报系统' }),
    el('div', { class: 'field' }, el('label', { for: 'login-name', text: '账号' }), name),
    el('div', { class: 'field' }, el('label', { for: 'login-password', text: '密码' }), password),
    button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const response = await fetch('/api/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login: name.value.trim(), password: password.value }),
    });
    if (!response.ok) { setStatus(await errorOf(response), 'error'); return; }
    me = await response.json();
    login.hidden = true;
    await startCounty();
  });
  login.replaceChildren(form);
  setStatus(message || '请登录。');
}

function showAccount() {
  const account = document.getElementById('account');
  account.hidden = false;
  const out = el('button', { type: 'button', id: 'logout', text: '退出登录' });
  out.addEventListener('click', async () => {
    await flushSave();
    await api('POST', '/api/logout', {});
    me = null;
    location.reload();
  });
  const who = me.agency ? `${me.agency.name} · ${me.login}` : `${me.county} · ${me.login}（${me.role_label}）`;
  account.replaceChildren(el('span', { text: who }), out);
}

/** A one-time password is changed before anything else. */
function askNewPassword() {
  return new Promise((resolve) => {
    const panel = document.getElementById('login');
    panel.hidden = false;
    const old = el('input', { id: 'old-password', type: 'password', autocomplete: 'current-password', required: true });
    const fresh = el('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 });
    const form = el('form', { class: 'login-form' },
      el('h2', { id: 'login-title', text: '请先修改一次性密码' }),
      el('div', { class: 'field' }, el('label', { for: 'old-password', text: '一次性密码' }), old),
      el('div', { class: 'field' }, el('label', { for: 'new-password', text: '新密码（至少 10 个字符）' }), fresh),
      el('button', { type: 'submit', text: '修改密码' }));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const r = await api('POST', '/api/password', { old: old.value, new: fresh.value });
      if (!r.ok) { setStatus(await errorOf(r), 'error'); return; }
      // The other sessions of the account ended; this one goes on.
      panel.hidden = true;
      setStatus('密码已修改。', 'ok');
      resolve();
    });
    panel.replaceChildren(form);
  });
}

/** After logging in: a clerk edits their agency's report, an administrator sees the county. */
async function startCounty() {
  showAccount();
  if (me.must_change_password) {
    document.getElementById('report').hidden = true;
    document.getElementById('findings-panel').hidden = true;
    await askNewPassword();
  }
  // The server keeps the drafts: no file to load or save, nothing to clear.
  for (const node of document.querySelectorAll('#save-toml, label[for="load"], #clear')) node.hidden = true;
  if (me.role === 'admin') {
    await showCounty(reportYear());
  } else {
    await openReport(me.agency.id, reportYear(), false);
  }
}

function setEditable(editable) {
  for (const node of document.querySelectorAll('#report input, #report textarea, #report button')) {
    node.disabled = !editable;
  }
  // On the county server a report belongs to its agency and year.
  for (const key of ['report.agency', 'report.year']) {
    const node = fields.get(key);
    if (node && me) node.readOnly = true;
  }
}

/** Opens the report of `agency` for `year` from the server, for editing (the
 * agency's clerk) or for reading (the county). */
async function openReport(agency, year, reading) {
  const response = await api('GET', `/api/reports/${agency}/${year}`);
  if (!response.ok) { setStatus(await errorOf(response), 'error'); return; }
  const state = await response.json();
  showDownloads(true);
  document.getElementById('county').hidden = true;
  document.getElementById('report').hidden = false;
  document.getElementById('findings-panel').hidden = false;
  serverReport = { agency, year, version: state.version, status: state.status, name: state.agency.name, reading };
  if (state.json) loadReport(JSON.parse(state.json), true);
  else startReport(state.agency, year);
  showLifecycle(state);
  const editable = !reading && spec.statuses.find((s) => s.code === state.status)?.editable;
  setEditable(Boolean(editable));
}

/** A report not started yet: the agency's names and the year filled in. */
function startReport(agency, year) {
  state = { values: {}, text: {}, headings: {} };
  state.values['report.agency'] = agency.name;
  if (agency.short_name) state.values['report.short_name'] = agency.short_name;
  if (agency.region) state.values['report.region'] = agency.region;
  state.values['report.year'] = String(year);
  refill(true);
}

let lastState = null;

function showLifecycle(state) {
  lastState = state;
  const panel = document.getElementById('lifecycle');
  panel.hidden = false;
  const parts = [el('strong', { text: `${state.agency.name} ${state.year} 年：${statusLabel(state.status)}` })];
  if (state.version) parts.push(el('span', { text: `第 ${state.version} 版${state.changed_by ? `，${state.changed_by}` : ''}${state.changed_at ? ` 于 ${new Date(state.changed_at).toLocaleString('zh-CN')}` : ''}` }));
  if (state.return_reason) parts.push(el('p', { class: 'reason', text: `退回原因：${state.return_reason}` }));
  const actions = el('div', { class: 'tools' });
  const editable = spec.statuses.find((s) => s.code === state.status)?.editable;
  if (!serverReport.reading && editable) {
    const submit = el('button', { type: 'button', id: 'submit', text: '提交给县政务公开办' });
    submit.addEventListener('click', () => submitReport(false));
    actions.append(submit);
  }
  if (me.role === 'admin' && state.status === 'submitted') {
    const back = el('button', { type: 'button', id: 'return', text: '退回' });
    back.addEventListener('click', () => returnReport(state.agency.id, state.year));
    actions.append(back);
  }
  const trail = el('button', { type: 'button', id: 'show-history', text: '修改记录' });
  trail.addEventListener('click', () => showHistory(state.agency.id, state.year));
  actions.append(trail);
  if (me.role === 'admin') {
    const list = el('button', { type: 'button', text: '返回全县列表' });
    list.addEventListener('click', () => showCounty(state.year));
    actions.append(list);
  }
  panel.replaceChildren(...parts, actions);
}

/** The audit trail of a report: every version, who and when. */
async function showHistory(agency, year) {
  const panel = document.getElementById('history');
  const response = await api('GET', `/api/reports/${agency}/${year}/history`);
  if (!response.ok) { setStatus(await errorOf(response), 'error'); return; }
  const versions = await response.json();
  const label = (code) => spec.actions.find((a) => a.code === code)?.label ?? code;
  const rows = versions.map((v) => el('tr', {},
    el('td', { text: String(v.version) }),
    el('td', { text: label(v.action) }),
    el('td', { text: statusLabel(v.status) }),
    el('td', { text: v.by }),
    el('td', { text: new Date(v.at).toLocaleString('zh-CN') }),
    el('td', { text: v.reason ?? '' })));
  const close = el('button', { type: 'button', class: 'small', text: '收起' });
  close.addEventListener('click', () => { panel.hidden = true; });
  const head = el('tr', {}, ...['版本', '操作', '状态', '账号', '时间', '退回原因'].map((t) => el('th', { scope: 'col', text: t })));
  panel.replaceChildren(
    el('h2', { id: 'history-title', text: `修改记录（${versions.length} 个版本）` }), close,
    el('table', { class: 'county', id: 'history-table' }, el('thead', {}, head), el('tbody', {}, ...rows)));
  panel.hidden = false;
}

/** Saves the draft on the server a moment after typing stops. */
function scheduleSave() {
  if (!serverReport || serverReport.reading) return;
  document.body.dataset.pending = 'true';
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => { saving = saveDraft(); }, SAVE_DELAY_MS);
}

async function flushSave() {
  if (saveTimer) { clearTimeout(saveTimer); saveTimer = null; saving = saveDraft(); }
  if (saving) await saving;
}

async function saveDraft() {
  saveTimer = null;
  // One save at a time, each on the version the one before returned.
  const before = saving;
  if (before) await before.catch(() => {});
  try {
    await putDraft();
  } finally {
    // Nothing waits to be saved unless typing went on meanwhile.
    if (!saveTimer) document.body.dataset.pending = 'false';
  }
}

async function putDraft() {
  if (missingRequired().length) return;
  const { agency, year, version } = serverReport;
  const response = await api('PUT', `/api/reports/${agency}/${year}`, reportJson(), { 'If-Match': `"${version}"` });
  if (response.ok) {
    const saved = await response.json();
    serverReport.version = saved.version;
    serverReport.status = saved.status;
    showLifecycle({ ...lastState, status: saved.status, version: saved.version, changed_by: me.login, changed_at: saved.at });
    document.body.dataset.saved = String(saved.version);
    setStatus(`已保存（第 ${saved.version} 版）。`, 'ok');
    return;
  }
  const message = await errorOf(response);
  if (response.status === 409) {
    const reload = el('button', { type: 'button', class: 'small', text: '载入服务器上的版本' });
    reload.addEventListener('click', () => openReport(agency, year, false));
    setStatus(message, 'error');
    document.getElementById('status').append(' ', reload);
  } else {
    setStatus(`未能保存：${message}`, 'error');
  }
}

async function submitReport(acknowledge) {
  await flushSave();
  const { agency, year, version } = serverReport;
  const response = await api('POST', `/api/reports/${agency}/${year}/submit`, { version, acknowledge_warnings: acknowledge });
  if (response.ok) {
    setStatus('已提交。', 'ok');
    await openReport(agency, year, false);
    return;
  }
  if (response.status === 422) {
    const body = await response.json();
    const findings = body.findings || [];
    showFindings(findings, null);
    const errors = findings.filter((f) => f.severity === 'error');
    if (!errors.length && findings.length) {
      const list = findings.map((f) => `${f.rule} ${f.cell}：${f.message}`).join('\n');
      if (window.confirm(`有 ${findings.length} 处提醒：\n${list}\n\n确认无误并提交？`)) await submitReport(true);
      return;
    }
    setStatus(`有 ${errors.length} 处错误，改正后才能提交。`, 'error');
    return;
  }
  setStatus(await errorOf(response), 'error');
}

async function returnReport(agency, year) {
  const reason = window.prompt('退回原因（机关会看到）：');
  if (reason === null) return;
  const current = await (await api('GET', `/api/reports/${agency}/${year}`)).json();
  const response = await api('POST', `/api/reports/${agency}/${year}/return`, { version: current.version, reason });
  if (!response.ok) { setStatus(await errorOf(response), 'error'); return; }
  setStatus('已退回。', 'ok');
  await showCounty(year);
}

// The county's table: every agency's status, filtered and sorted.
let countySort = { key: 'name', down: false };

/** The download buttons are for a report on the page. */
function showDownloads(shown) {
  for (const button of document.querySelectorAll('button[data-format]')) button.hidden = !shown;
}

async function showCounty(year) {
  serverReport = null;
  showDownloads(false);
  document.getElementById('history').hidden = true;
  document.getElementById('report').hidden = true;
  document.getElementById('findings-panel').hidden = true;
  document.getElementById('lifecycle').hidden = true;
  const panel = document.getElementById('county');
  panel.hidden = false;
  const response = await api('GET', `/api/county/${year}`);
  if (!response.ok) { setStatus(await errorOf(response), 'error'); return; }
  const view = await response.json();
  const yearInput = el('input', { id: 'county-year', type: 'number', min: 2000, max: 2100, value: year });
  yearInput.addEventListener('change', () => showCounty(Number(yearInput.value)));
  const deadline = el('input', { id: 'deadline', type: 'date', value: view.deadline || '' });
  const setDeadline = el('button', { type: 'button', text: '设定截止日期' });
  setDeadline.addEventListener('click', async () => {
    const r = await api('PUT', `/api/county/${year}/deadline`, { date: deadline.value || null });
    setStatus(r.ok ? '截止日期已设定。' : await errorOf(r), r.ok ? 'ok' : 'error');
    if (r.ok) showCounty(year);
  });
  const newName = el('input', { id: 'new-agency', placeholder: '新机关的全名', 'aria-label': '新机关的全名' });
  const add = el('button', { type: 'button', id: 'add-agency', text: '新增机关' });
  add.addEventListener('click', async () => {
    const r = await api('POST', '/api/agencies', { name: newName.value.trim() });
    setStatus(r.ok ? `已新增：${newName.value.trim()}` : await errorOf(r), r.ok ? 'ok' : 'error');
    if (r.ok) showCounty(year);
  });
  const csv = el('input', { id: 'import-csv', type: 'file', accept: '.csv,text/csv', hidden: true });
  const csvLabel = el('label', { class: 'button', for: 'import-csv', text: '导入机关名单（CSV）…' });
  csv.addEventListener('change', async () => {
    const file = csv.files[0];
    csv.value = '';
    if (!file) return;
    const r = await api('POST', '/api/agencies/import', undefined, { 'Content-Type': 'text/csv' }, await file.arrayBuffer());
    if (!r.ok) { setStatus(await errorOf(r), 'error'); return; }
    const done = await r.json();
    const accounts = done.clerks.map((c) => `${c.account.agency_name ?? ''} ${c.account.login}：${c.password}`).join('\n');
    setStatus(`已导入：新增 ${done.created.length} 个机关，已有 ${done.existing.length} 个，新建 ${done.clerks.length} 个账号。`, 'ok');
    if (accounts) window.alert(`新账号的一次性密码（只显示这一次，请转交各机关）：\n${accounts}`);
    showCounty(year);
  });
  const zip = el('button', { type: 'button', id: 'county-zip', text: '下载全县 ZIP（已提交的报告）' });
  zip.addEventListener('click', async () => {
    setStatus('正在生成全县文件…');
    const r = await api('GET', `/api/county/${year}/zip`);
    if (!r.ok) { setStatus(await errorOf(r), 'error'); return; }
    saveBlob(await r.blob(), fileName(r, `county-${year}.zip`));
    setStatus('全县文件已生成。', 'ok');
  });
  const filter = el('select', { id: 'status-filter', 'aria-label': '按状态筛选' }, el('option', { value: '', text: '全部状态' }),
    ...spec.statuses.map((s) => el('option', { value: s.code, text: s.label })), el('option', { value: 'late', text: '逾期' }));
  const search = el('input', { id: 'agency-filter', type: 'search', placeholder: '按名称筛选', 'aria-label': '按名称筛选' });
  const counts = spec.statuses.map((s) => `${s.label} ${view.rows.filter((r) => r.status === s.code).length}`).join('，');
  const table = el('table', { class: 'county', id: 'county-table' });
  const columns = [
    ['name', '机关'], ['status', '状态'], ['version', '版本'], ['changed_at', '最后修改'], ['errors', '错误'], ['warnings', '提醒'], ['late', '逾期'],
  ];
  const head = el('tr');
  for (const [key, label] of columns) {
    const th = el('th', { scope: 'col', 'aria-sort': countySort.key === key ? (countySort.down ? 'descending' : 'ascending') : 'none' },
      el('button', { type: 'button', class: 'link', text: label }));
    th.querySelector('button').addEventListener('click', () => {
      countySort = { key, down: countySort.key === key ? !countySort.down : false };
      render();
    });
    head.append(th);
  }
  head.append(el('th', { scope: 'col', text: '操作' }));
  const body = el('tbody');
  table.append(el('thead', {}, head), body);
  const value = (row, key) => (key === 'name' ? row.agency.name : row[key] ?? '');
  function render() {
    const rows = view.rows
      .filter((r) => !filter.value || (filter.value === 'late' ? r.late : r.status === filter.value))
      .filter((r) => !search.value || r.agency.name.includes(search.value.trim()))
      .sort((a, b) => {
        const x = value(a, countySort.key); const y = value(b, countySort.key);
        const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'zh-CN');
        return countySort.down ? -order : order;
      });
    body.replaceChildren(...rows.map((r) => {
      const open = el('button', { type: 'button', class: 'small', text: '查看' });
      open.addEventListener('click', async () => {
        document.getElementById('county').hidden = true;
        await openReport(r.agency.id, year, true);
      });
      const clerk = el('button', { type: 'button', class: 'small', text: '添加填报账号' });
      clerk.addEventListener('click', async () => {
        const login = window.prompt(`${r.agency.name} 的填报账号：`);
        if (!login) return;
        const res = await api('POST', `/api/agencies/${r.agency.id}/clerks`, { login: login.trim() });
        if (!res.ok) { setStatus(await errorOf(res), 'error'); return; }
        const made = await res.json();
        window.alert(`账号 ${made.account.login} 的一次性密码：${made.password}\n（只显示这一次）`);
      });
      const actions = el('td', {}, open, ' ', clerk);
      if (r.status === 'submitted') {
        const back = el('button', { type: 'button', class: 'small', text: '退回' });
        back.addEventListener('click', () => returnReport(r.agency.id, year));
        actions.append(' ', back);
      }
      return el('tr', { class: r.late ? 'late' : null, 'data-agency': r.agency.id, 'data-status': r.status },
        el('td', { text: r.agency.name }),
        el('td', { text: statusLabel(r.status) }),
        el('td', { text: String(r.version) }),
        el('td', { text: r.changed_at ? `${new Date(r.changed_at).toLocaleString('zh-CN')} ${r.changed_by ?? ''}` : '' }),
        el('td', { text: String(r.errors) }),
        el('td', { text: String(r.warnings) }),
        el('td', { text: r.late ? '逾期' : '' }),
        actions);
    }));
  }
  filter.addEventListener('change', render);
  search.addEventListener('input', render);
  render();
  panel.replaceChildren(
    el('h2', { id: 'county-title', text: `${view.county} ${year} 年 各机关填报情况` }),
    el('div', { class: 'tools county-tools' },
      el('label', { for: 'county-year', text: '年度' }), yearInput,
      el('label', { for: 'deadline', text: '截止日期' }), deadline, setDeadline,
      newName, add, csvLabel, csv, zip),
    el('p', { text: `共 ${view.rows.length} 个机关：${counts}。` }),
    el('div', { class: 'tools' }, filter, search),
    el('div', { class: 'table-wrap' }, table));
  setStatus(`${view.county} ${year} 年：${counts}。`);
}
// ---------------------------------------------------------------------------

async function main() {
  try {
    const response = await fetch('/api/spec');
    spec = await response.json();
  } catch (e) {
    setStatus(`无法取得规定格式：${e.message}`, 'error');
    return;
  }
  const who = await fetch('/api/me', { credentials: 'same-origin' });
  const county = who.status !== 404;
  if (who.ok) me = await who.json();
  const restored = !county && restoreDraft();
  if (!restored) {
    // The report is written from autumn to 31 January for the year that ends.
    const now = new Date();
    state.values['report.year'] = String(now.getFullYear() - (now.getMonth() < 8 ? 1 : 0));
  }
  build();
  showTitle();
  recompute();
  for (const button of document.querySelectorAll('button[data-format]')) {
    button.addEventListener('click', () => download(button.dataset.format));
  }
  document.getElementById('save-toml').addEventListener('click', saveToml);
  const load = document.getElementById('load');
  load.addEventListener('change', () => {
    if (load.files.length) loadFile(load.files[0]);
    load.value = '';
  });
  document.getElementById('clear').addEventListener('click', () => {
    if (!window.confirm('清空本页已填的全部内容？（浏览器中的草稿也会删除）')) return;
    state = { values: {}, text: {}, headings: {} };
    localStorage.removeItem(DRAFT_KEY);
    refill();
  });
  window.addEventListener('pagehide', () => { if (!me) saveLocalDraft(); });
  if (county) {
    document.body.dataset.mode = 'county';
    if (me) await startCounty();
    else showLogin();
    document.body.dataset.ready = 'true';
    return;
  }
  document.body.dataset.ready = 'true';
  runCheck();
  if (restored) setStatus('已恢复上次未完成的草稿。');
}

main();
