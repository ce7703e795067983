/**
 * The console page: plain HTML and a little vanilla JavaScript, labels in Chinese with English
 * beside them as in the vendor manual. Each operation is a wizard that shows one dialog at a time
 * (choose the device, the UKEYs, the PINs, confirm) and only at the end POSTs what was chosen.
 * PIN fields are password inputs; their values go into the POST body only and are cleared after.
 */
const SCRIPT = String.raw`
const $ = (s) => document.querySelector(s);
let state = { devices: [], tokens: [] };
let wiz = null;

function roleText(r) {
  if (!r) return '空 UKEY blank';
  const of = r.number ? ' ' + r.number + '/' + (r.total ?? '?') : '';
  const name = { 'dmk-component': 'DMK 成份 component', 'kbk-share': 'KBK 密钥备份密钥 share', auth: '授权 auth', backup: '备份 backup' }[r.role] || r.role;
  return name + of + ' · ' + r.deviceId + (r.backupId ? ' · ' + r.backupId : '');
}
const fits = (t, f) => f === 'any' || (f === 'blank' ? !t.role : t.role && t.role.role === f);

async function refresh() {
  state = await (await fetch('/api/state')).json();
  $('#devices').textContent = '';
  for (const d of state.devices) {
    const li = document.createElement('li');
    li.textContent = d.error ? d.name + ': 无法连接 unreachable' : d.name + ' · ' + d.state + ' · DMK ' + (d.dmkKcv || '-') + ' · 密钥 keys ' + d.keyCount + ' · 授权 authorization ' + (d.auth ? d.auth.m + '-of-' + d.auth.n : '-');
    $('#devices').append(li);
  }
  // A device not up yet (the page opened before the run started its emulators) is asked again
  // every 2 s until it answers, so the list does not say "unreachable" until the next dialog.
  clearTimeout(retry);
  if (state.devices.some((d) => d.error)) retry = setTimeout(() => refresh().catch(() => undefined), 2000);
}
let retry;

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function tokenRow(t, type, group) {
  const row = el('div', { class: 'token' });
  const lab = el('label');
  const box = el('input', { type, name: group, value: t.serial, 'aria-label': '选择 UKEY ' + t.serial });
  lab.append(box, ' ' + t.label + ' · ' + t.serial + ' · ' + roleText(t.role));
  const pin = el('input', { type: 'password', autocomplete: 'off', 'aria-label': 'UKEY 口令 PIN ' + t.serial, placeholder: 'UKEY 口令 PIN' });
  row.append(lab, pin);
  return row;
}

// Step kinds: device, warn, tokens (several), token (one), number, text, radio.
function renderStep(s, box) {
  box.append(el('h3', {}, s.title));
  if (s.note) box.append(el('p', { class: 'note' }, s.note));
  if (s.kind === 'device') for (const d of state.devices) {
    const lab = el('label', { class: 'choice' });
    lab.append(el('input', { type: 'radio', name: 'device', value: d.name, 'aria-label': '设备 device ' + d.name }), ' ' + d.name + ' (' + (d.state || d.error) + ')');
    box.append(lab);
  }
  if (s.kind === 'warn') {
    box.append(el('p', { class: 'warn', role: 'alert' }, s.text));
    const lab = el('label');
    lab.append(el('input', { type: 'checkbox', name: 'ack', 'aria-label': '我已了解 I understand' }), ' 我已了解 I understand');
    box.append(lab);
  }
  if (s.kind === 'tokens' || s.kind === 'token') {
    const list = state.tokens.filter((t) => fits(t, s.filter));
    if (!list.length) box.append(el('p', { class: 'warn' }, '没有合适的 UKEY No suitable UKEY is present'));
    for (const t of list) box.append(tokenRow(t, s.kind === 'tokens' ? 'checkbox' : 'radio', 'tok'));
  }
  if (s.kind === 'number' || s.kind === 'text') {
    const lab = el('label', {}, s.label + ' ');
    lab.append(el('input', { type: s.kind === 'number' ? 'number' : 'text', name: 'v', value: String(s.value ?? ''), 'aria-label': s.label }));
    box.append(lab);
  }
  if (s.kind === 'radio') for (const [v, text] of s.options) {
    const lab = el('label', { class: 'choice' });
    lab.append(el('input', { type: 'radio', name: 'r', value: v, 'aria-label': text }), ' ' + text);
    box.append(lab);
  }
}

// Reads the step's answer; returns an error text when the step is not answered.
function collect(s, box, v) {
  if (s.kind === 'device') {
    const c = box.querySelector('input[name=device]:checked');
    if (!c) return '请选择设备 Choose a device';
    v.device = c.value;
  }
  if (s.kind === 'warn' && !box.querySelector('input[name=ack]').checked) return '请确认警告 Confirm the warning';
  if (s.kind === 'warn') v.confirmWipe = true;
  if (s.kind === 'tokens' || s.kind === 'token') {
    const picked = [];
    for (const row of box.querySelectorAll('.token')) {
      const [c, p] = row.querySelectorAll('input');
      if (!c.checked) continue;
      if (!p.value) return '请输入 UKEY 口令 Enter the PIN of UKEY ' + c.value;
      picked.push({ serial: c.value, pin: p.value });
    }
    if (picked.length < (s.min ?? 1)) return '请选择 UKEY Choose ' + (s.min ?? 1) + ' UKEY(s)';
    if (s.max && picked.length > s.max) return '最多 At most ' + s.max + ' UKEY(s)';
    if (s.kind === 'token') (v[s.name] = v[s.name] || []).push(picked[0]);
    else v[s.name] = picked;
  }
  if (s.kind === 'number' || s.kind === 'text') {
    const x = box.querySelector('input[name=v]').value.trim();
    if (!x) return '请填写 Fill in: ' + s.label;
    v[s.name] = s.kind === 'number' ? Number(x) : x;
  }
  if (s.kind === 'radio') {
    const c = box.querySelector('input[name=r]:checked');
    if (!c) return '请选择 Choose one';
    v[s.name] = c.value;
  }
  return null;
}

const devInfo = (v) => state.devices.find((d) => d.name === v.device) || {};
const OPS = {
  dmkKcv: { title: '获取 DMK 校验值 Get DMK check value', steps: () => [{ kind: 'device', title: '选择设备 Choose the device' }] },
  deviceInfo: { title: '设备信息 Device info', steps: () => [{ kind: 'device', title: '选择设备 Choose the device' }] },
  originalInit: { title: '原始初始化 Original init', steps: () => [
    { kind: 'device', title: '选择设备 Choose the device' },
    { kind: 'tokens', name: 'components', filter: 'blank', min: 2, title: '选择空 UKEY 制作 DMK 成份 UKEY Choose blank UKEYs for the DMK components (at least 2)', note: '插入空白 UKEY 并输入口令 Insert each blank UKEY and enter its PIN' },
    { kind: 'tokens', name: 'auth', filter: 'blank', min: 1, title: '选择空 UKEY 制作授权 UKEY Choose blank UKEYs for the authorization keys (3 recommended)' },
    { kind: 'number', name: 'threshold', label: '授权门限 m（建议 3 选 2）Authorization threshold m (2-of-3 recommended)', value: 2, title: '授权控制 Authorization control' },
  ] },
  recoveryInit: { title: '恢复初始化 Recovery init', steps: (v) => {
    const s = [
      { kind: 'device', title: '选择设备 Choose the device' },
      { kind: 'warn', title: '警告 Warning', text: '恢复初始化将清除设备中的所有密钥！Recovery init wipes every key on the device!' },
    ];
    if (v.device && devInfo(v).auth) s.push({ kind: 'tokens', name: 'authorizeWith', filter: 'auth', min: 1, title: '设备已有授权：插入授权 UKEY Authorize: this device has an authorization policy' });
    s.push({ kind: 'number', name: 'n', label: 'DMK 成份 UKEY 数目 Number of DMK component UKEYs', value: 2, title: '第一步 Step 1' });
    for (let i = 1; i <= (v.n || 0); i++) s.push({ kind: 'token', name: 'components', filter: 'dmk-component', title: '插入第 ' + i + ' 个成份 UKEY 并输入口令，导入成份 UKEY Import component UKEY ' + i + ' of ' + v.n });
    s.push({ kind: 'radio', name: 'authMode', title: '授权 Authorization', options: [['sync', '同步授权信息 Sync from an auth UKEY of the first device'], ['new', '制作新的授权 UKEY（1 选 1）Make a new 1-of-1 auth UKEY']] });
    if (v.authMode) s.push({ kind: 'token', name: 'authToken', filter: v.authMode === 'sync' ? 'auth' : 'blank', title: v.authMode === 'sync' ? '插入有效的授权 UKEY Insert a valid auth UKEY of the first device' : '插入空白 UKEY Insert a blank UKEY for the new auth key' });
    return s;
  } },
  backupExport: { title: '备份导出 Backup export', steps: (v) => [
    { kind: 'device', title: '选择设备 Choose the device' },
    { kind: 'text', name: 'indices', label: '密钥索引（all 或 1,2,5）Key indices (all, or 1,2,5)', value: 'all', title: '选择密钥 Choose keys' },
    { kind: 'tokens', name: 'auth', filter: 'auth', min: 1, title: '授权 UKEY Authorization UKEYs (m of the set)' },
    { kind: 'tokens', name: 'kbk', filter: 'blank', min: 3, max: 3, title: '选择 3 个空 UKEY 制作 KBK UKEY Choose 3 blank UKEYs for the KBK' },
    { kind: 'radio', name: 'saveTo', title: '备份保存位置 Where to keep the backup', options: [['file', '保存到文件 Save to a file'], ['ukey', '保存到 UKEY 内 Keep it inside a UKEY']] },
    v.saveTo === 'ukey'
      ? { kind: 'token', name: 'backupToken', filter: 'blank', title: '插入空白 UKEY 保存备份 Insert a blank UKEY to keep the backup' }
      : { kind: 'text', name: 'fileName', label: '密钥备份文件 Backup file name', value: 'keys.evbk', title: '选择密钥备份文件 Choose the backup file' },
  ] },
  restoreImport: { title: '恢复导入 Restore import', steps: (v) => [
    { kind: 'device', title: '选择设备 Choose the device' },
    { kind: 'tokens', name: 'kbk', filter: 'kbk-share', min: 1, title: 'UKEY 操作窗口：选择 2 个密钥备份密钥 UKEY 并输入口令 (VERIFY) Choose 2 KBK UKEYs and enter their PINs', note: '需要同一备份的 2 个 KBK UKEY；只选 1 个时由设备拒绝 Two KBK UKEYs of the same backup are needed; with one the device refuses' },
    { kind: 'tokens', name: 'auth', filter: 'auth', min: 1, title: '授权 UKEY Authorization UKEYs' },
    { kind: 'radio', name: 'source', title: '备份来源 Where the backup is', options: [['file', '密钥备份文件 A backup file'], ['ukey', '保存在 UKEY 内 Inside a UKEY']] },
    v.source === 'ukey'
      ? { kind: 'token', name: 'backupToken', filter: 'backup', title: '插入保存备份的 UKEY Insert the UKEY that keeps the backup' }
      : { kind: 'text', name: 'fileName', label: '密钥备份文件 Backup file name', value: 'keys.evbk', title: '选择密钥备份文件 Choose the backup file' },
  ] },
  exportComponents: { title: '导出 DMK 成份 Export DMK components', steps: () => [
    { kind: 'device', title: '选择设备 Choose the device' },
    { kind: 'tokens', name: 'auth', filter: 'auth', min: 1, title: '授权 UKEY Authorization UKEYs' },
    { kind: 'tokens', name: 'components', filter: 'blank', min: 2, title: '选择空 UKEY 制作新的 DMK 成份 UKEY Choose blank UKEYs for the new components' },
  ] },
};
const VALUE_NAMES = { state: '状态 state', deviceId: '设备标识 device id', recovery: '已导入成份 components imported', dmkKcv: 'DMK 校验值 DMK check value', keyCount: '密钥数 key count', imported: '导入密钥数 keys imported', replaced: '替换 replaced', file: '备份文件 backup file', backupUkey: '备份 UKEY backup UKEY', kbkKcv: 'KBK 校验值 KBK check value', components: '成份 UKEY 数 component UKEYs', authorization: '授权策略 authorization policy', wipedKeys: '清除密钥数 keys wiped' };

async function start(op) {
  await refresh();
  wiz = { op, i: 0, v: {} };
  $('#result').textContent = '';
  $('#progress').hidden = true;
  show();
}

function show() {
  const box = $('#dialog');
  box.textContent = '';
  const steps = OPS[wiz.op].steps(wiz.v);
  box.append(el('h2', {}, OPS[wiz.op].title + ' (' + (wiz.i + 1) + '/' + steps.length + ')'));
  const s = steps[wiz.i];
  const body = el('div');
  renderStep(s, body);
  box.append(body, el('p', { id: 'stepError', role: 'alert', class: 'warn' }));
  const next = el('button', { type: 'button' }, wiz.i + 1 < steps.length ? '下一步 Next' : '确定 OK');
  next.onclick = () => {
    const err = collect(s, body, wiz.v);
    if (err) { $('#stepError').textContent = err; return; }
    wiz.i++;
    if (wiz.i < OPS[wiz.op].steps(wiz.v).length) show(); else submit();
  };
  const cancel = el('button', { type: 'button' }, '取消 Cancel');
  cancel.onclick = () => { wiz = null; box.textContent = ''; };
  box.append(next, cancel);
}

async function submit() {
  const v = wiz.v;
  if (wiz.op === 'backupExport') v.indices = v.indices === 'all' ? 'all' : String(v.indices).split(',').map((x) => Number(x.trim()));
  const op = wiz.op;
  wiz = null;
  $('#dialog').textContent = '';
  $('#result').textContent = '正在执行… Working…';
  const bar = $('#progress');
  const res = await fetch('/api/op/' + op, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(v) });
  for (const k of Object.keys(v)) delete v[k];
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let last = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const m = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (m.progress) { bar.hidden = false; bar.max = m.progress.total || 1; bar.value = m.progress.done; $('#progressText').textContent = m.progress.phase + ' ' + m.progress.done + '/' + m.progress.total; }
      else last = m;
    }
  }
  if (!last && buf) last = JSON.parse(buf);
  showResult(last);
  refresh();
}

function showResult(m) {
  const r = $('#result');
  r.textContent = '';
  if (!m) { r.textContent = '无应答 No answer'; return; }
  if (m.error) { r.append(el('p', { class: 'warn', 'data-outcome': 'error' }, '未执行 Not done: ' + m.error)); return; }
  const o = m.outcome;
  if (o.status === 'refused') {
    r.append(el('p', { class: 'warn', 'data-outcome': 'refused' }, '拒绝 Refused: ' + o.code + ' — ' + o.message));
    return;
  }
  r.append(el('p', { 'data-outcome': 'completed' }, '完成 Completed'));
  const dl = el('dl');
  for (const [k, val] of Object.entries(o.values)) { dl.append(el('dt', {}, VALUE_NAMES[k] || k), el('dd', { 'data-value': k }, String(val))); }
  r.append(dl);
}

for (const b of document.querySelectorAll('button[data-op]')) b.onclick = () => start(b.dataset.op);
refresh();
`;

export const PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>VsmManager 替身 stand-in · evsm-lab</title>
<style>
body{font-family:sans-serif;margin:1.5em;max-width:60em}nav button{margin:.2em}.token{margin:.3em 0}.token input[type=password]{margin-left:1em}
.warn{color:#a00}.choice{display:block}#dialog{border:1px solid #888;padding:1em;margin:1em 0}#dialog:empty{display:none}dd{font-family:monospace}
</style></head><body>
<h1>VsmManager 替身 stand-in <small>(evsm-lab 仿真设备演练 rehearsal on emulators — not the vendor's program)</small></h1>
<section><h2>设备 Devices</h2><ul id="devices"></ul></section>
<nav aria-label="密钥管理 Key management"><h2>密钥管理 Key management</h2>
<button data-op="backupExport">备份导出 Backup export</button>
<button data-op="restoreImport">恢复导入 Restore import</button>
<button data-op="originalInit">原始初始化 Original init</button>
<button data-op="recoveryInit">恢复初始化 Recovery init</button>
<button data-op="dmkKcv">获取 DMK 校验值 Get DMK check value</button>
<button data-op="exportComponents">导出 DMK 成份 Export DMK components</button>
<button data-op="deviceInfo">设备信息 Device info</button>
</nav>
<div id="dialog" role="dialog"></div>
<progress id="progress" hidden value="0" max="1"></progress> <span id="progressText"></span>
<section id="result" role="status" aria-live="polite"></section>
<script>${SCRIPT}</script>
</body></html>`;
