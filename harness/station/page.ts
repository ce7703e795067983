/**
 * The station page: plain HTML and vanilla JavaScript, Chinese first with English beside it (as
 * the VsmManager stand-in's page). It long-polls GET /api/state and draws one card per pending
 * prompt; a card is rebuilt only when what it asks changes, so live token detection never wipes
 * what the person is typing. The PIN field is a password input; its value goes into one POST body
 * and the field is cleared at once.
 */
const SCRIPT = String.raw`
const $ = (s) => document.querySelector(s);
let version = 0;
let paused = false;
const cards = new Map();

// What the page changes it changes only when it differs: a state arrives for every note and every
// UKEY sighting of a worker (many a second while UKEYs are checked), and each text or list set
// anew, even to what it was, makes the browser restyle and lay out the page again.
function setText(e, text) {
  if (e.textContent !== text) e.textContent = text;
}
function setHidden(e, hidden) {
  if (e.hidden !== hidden) e.hidden = hidden;
}
/** What each list was last filled with (kept off the DOM, so the text is not there twice). */
const drawn = new WeakMap();
/** Fills a list with one item per entry (make(entry) builds it), unless it holds these entries already. */
function setList(ul, entries, make) {
  const key = JSON.stringify(entries);
  if (drawn.get(ul) === key) return;
  drawn.set(ul, key);
  ul.replaceChildren(...entries.map(make));
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

const VALUE_LABEL = {
  kcv: 'DMK 校验值 Check value (16 hex digits)',
  policy: '授权策略 Authorization policy (m-of-n, e.g. 2-of-3)',
  count: '数目 Count',
  progress: '进度 Progress end (done/total, e.g. 3/3)',
  text: '值 Value',
};
const STATUS_TEXT = { checking: '检查中 checking', fits: '正确 fits', wrong: '不对 wrong UKEY', unreadable: '无法读取 unreadable', 'in-use': '已在使用 in use (taken at an earlier prompt; leave it in)' };

async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.ok) return null;
  try { return (await r.json()).error || ('HTTP ' + r.status); } catch { return 'HTTP ' + r.status; }
}

async function answer(card, id, a) {
  const alert = card.querySelector('[role=alert]');
  alert.textContent = '';
  const err = await post('/api/prompts/' + id + '/answer', { answer: a });
  for (const k of Object.keys(a)) delete a[k];
  if (err) alert.textContent = err;
}

function button(text, onclick) {
  const b = el('button', { type: 'button' }, text);
  b.onclick = onclick;
  return b;
}

function field(label, type) {
  const lab = el('label', {}, label + ' ');
  const input = el('input', { type: type || 'text', 'aria-label': label, autocomplete: type === 'password' ? 'new-password' : 'off', spellcheck: 'false' });
  lab.append(input);
  return [lab, input];
}

function onEnter(input, fn) {
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); fn(); } });
}

function sig(p) {
  return [p.id, p.kind, p.state, p.pin ? p.pin.serial + '/' + p.pin.kind + '/' + p.pin.attempt : ''].join('|');
}

function buildCard(p) {
  const card = el('article', { class: 'prompt', 'data-prompt': p.id, 'data-kind': p.kind, 'aria-label': '提示 prompt ' + p.id });
  const meta = [];
  if (p.device) meta.push('设备 device ' + p.device);
  if (p.context && p.context.test) meta.push('测试 test: ' + p.context.test);
  if (p.context && p.context.step) meta.push('步骤 step: ' + p.context.step);
  card.append(el('p', { class: 'meta' }, meta.join(' · ')));
  if (p.timeoutSeconds && p.shownAt) card.append(el('p', { class: 'left', 'data-until': String(Date.parse(p.shownAt) + p.timeoutSeconds * 1000) }));
  card.append(el('p', { class: 'zh', lang: 'zh-CN' }, p.text.zh), el('p', { class: 'en', lang: 'en' }, p.text.en));
  const form = el('div', { class: 'form' });
  card.append(form);
  if (p.kind === 'token') {
    card.append(el('p', { class: 'expect' }, '需要 Wanted: ' + p.expect + (p.serial ? ' · 序列号 serial ' + p.serial : '')));
    card.append(el('h3', {}, '当前检测到 Detected now'), el('ul', { class: 'seen', 'aria-label': '检测到的 UKEY detected UKEYs' }));
  }
  card.append(el('ul', { class: 'notes' }), el('p', { role: 'alert', class: 'warn' }));
  if (p.state === 'answered') {
    form.append(el('p', { class: 'waiting' }, '已回答，等待测试程序 Answered: waiting for the harness…'));
  } else if (p.kind === 'confirm') {
    form.append(button('完成 Done', () => answer(card, p.id, { kind: 'completed' })));
  } else if (p.kind === 'outcome') {
    form.append(button('完成 Completed', () => answer(card, p.id, { kind: 'completed' })));
    const fs = el('fieldset');
    fs.append(el('legend', {}, 'VsmManager 拒绝 refused it: 输入显示的错误码和信息 type the code and message shown'));
    const [l1, code] = field('错误码 Error code');
    const [l2, msg] = field('错误信息 Error message');
    const refuse = () => answer(card, p.id, { kind: 'refused', code: code.value, message: msg.value });
    onEnter(code, refuse);
    onEnter(msg, refuse);
    fs.append(l1, l2, button('拒绝 Refused', refuse));
    form.append(fs);
  } else if (p.kind === 'value' || p.kind === 'text') {
    const [lab, input] = field(p.kind === 'value' ? VALUE_LABEL[p.valueKind] : '回答 Answer (空 = 无 empty = nothing to report)');
    const go = () => answer(card, p.id, p.kind === 'value' ? { kind: 'value', value: input.value } : { kind: 'text', value: input.value });
    onEnter(input, go);
    form.append(lab, button('提交 Submit', go));
  } else if (p.kind === 'token' && p.pin) {
    const who = p.pin.kind === 'so' ? 'SO 口令 SO PIN' : 'UKEY 口令 PIN';
    form.append(el('p', { class: 'pinfor' }, '输入 ' + who + ' of UKEY "' + p.pin.label + '" (序列号 serial ' + p.pin.serial + ')' + (p.pin.attempt > 1 ? ' · 第 ' + p.pin.attempt + ' 次 attempt ' + p.pin.attempt : '')));
    const [lab, input] = field(who, 'password');
    const go = () => { const pin = input.value; input.value = ''; answer(card, p.id, { kind: 'pin', pin }); };
    onEnter(input, go);
    form.append(lab, button('确定 OK', go));
  } else if (p.kind === 'token') {
    form.append(el('p', { class: 'waiting' }, '请插入 UKEY Insert the UKEY: 检测到正确的 UKEY 后会要求口令 the PIN is asked once the right one is detected'));
  }
  // Every prompt can be answered "cannot do it" (a token search: "I do not have it"): the step fails with the reason.
  if (p.state !== 'answered') {
    const d = el('details', { class: 'cannot' });
    d.append(el('summary', {}, '无法完成 Cannot do it'));
    const [lab, reason] = field('原因 Reason');
    const go = () => answer(card, p.id, { kind: 'cannot', reason: reason.value });
    onEnter(reason, go);
    d.append(lab, button('无法完成，使步骤失败 Cannot do it: fail the step', go));
    card.append(d);
  }
  return card;
}

function updateLive(card, p) {
  const seen = card.querySelector('.seen');
  if (seen) {
    const absent = { status: 'absent' };
    setList(seen, p.seen && p.seen.length ? p.seen : [absent], (s) => s === absent
      ? el('li', { 'data-status': 'absent' }, '未检测到 UKEY No UKEY detected')
      : el('li', { 'data-status': s.status, 'data-serial': s.serial }, 'UKEY "' + s.label + '" (序列号 serial ' + s.serial + '): ' + STATUS_TEXT[s.status] + (s.message ? ' — ' + s.message : '')));
  }
  setList(card.querySelector('.notes'), p.notes, (n) => el('li', {}, n));
}

function render(s) {
  paused = s.paused;
  const title = (s.prompts.length ? '(' + s.prompts.length + ') ' : '') + '操作台 Operator station · ' + s.run.title;
  if (document.title !== title) document.title = title;
  setText($('#title'), s.run.title);
  const bar = $('#runProgress');
  const max = Math.max(s.run.total, 1);
  if (bar.max !== max) bar.max = max;
  if (bar.value !== s.run.done) bar.value = s.run.done;
  setText($('#runText'), '测试 tests ' + s.run.done + '/' + s.run.total + (s.run.failed ? ' · 失败 failed ' + s.run.failed : ''));
  setText($('#current'), s.run.current ? '当前测试 current test: ' + s.run.current.test : '');
  setText($('#pause'), s.paused ? '继续 Resume' : '暂停 Pause');
  setHidden($('#pausedBanner'), !s.paused);
  setText($('#pausedBanner'), '已暂停 Paused: 新提示暂不显示 new prompts are held' + (s.held ? ' (' + s.held + ' 等待中 waiting)' : ''));
  const box = $('#prompts');
  const ids = new Set(s.prompts.map((p) => p.id));
  for (const [id, c] of cards) if (!ids.has(id)) { c.el.remove(); cards.delete(id); }
  for (const p of s.prompts) {
    let c = cards.get(p.id);
    if (!c || c.sig !== sig(p)) {
      const card = buildCard(p);
      if (c) c.el.replaceWith(card); else box.append(card);
      // Ready to type a PIN or a value: its field gets the focus unless the person is typing elsewhere.
      // Never a button, and no field where an empty Enter is an answer: a stray Enter must not answer a prompt.
      const a = document.activeElement;
      if ((p.kind === 'value' || p.kind === 'token') && (!a || a === document.body || !a.isConnected)) { const f = card.querySelector('.form input'); if (f) f.focus(); }
      c = { el: card, sig: sig(p) };
      cards.set(p.id, c);
    }
    updateLive(c.el, p);
  }
  tick();
  setHidden($('#idle'), s.prompts.length > 0);
  setList($('#notices'), s.notices, (n) => el('li', {}, n));
}

// Time left on each prompt, as the worker counts it (paused time is not counted: it starts when shown).
function tick() {
  for (const e of document.querySelectorAll('[data-until]')) {
    const s = Math.max(0, Math.round((Number(e.dataset.until) - Date.now()) / 1000));
    setText(e, '剩余时间 time left ' + Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0'));
    if (e.classList.contains('warn') !== (s < 60)) e.classList.toggle('warn', s < 60);
  }
}
setInterval(tick, 1000);

$('#pause').onclick = async () => {
  const err = await post('/api/pause', { paused: !paused });
  $('#conn').textContent = err || '';
};

async function loop() {
  for (;;) {
    try {
      const r = await fetch('/api/state?after=' + version + '&waitMs=20000');
      if (!r.ok) throw new Error('HTTP ' + r.status);
      const s = await r.json();
      version = s.version;
      setText($('#conn'), '');
      render(s);
    } catch (e) {
      $('#conn').textContent = '与操作台的连接中断，重试中（运行可能已结束）Lost the connection to the station; retrying… (the run may have ended)';
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
loop();
`;

export const PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>操作台 Operator station · evsm-lab</title>
<style>
body{font-family:sans-serif;margin:1.5em;max-width:60em}.warn{color:#a00}.meta{color:#555;font-size:.9em}
.prompt{border:2px solid #246;padding:.5em 1em;margin:1em 0}.zh,.en{white-space:pre-wrap;font-size:1.1em}
.prompt input{margin:.2em .5em .2em 0}[data-status=fits]{color:#060;font-weight:bold}[data-status=wrong],[data-status=unreadable]{color:#a00}
#pausedBanner{background:#fd8;padding:.4em}#conn{color:#a00}progress{width:20em}
</style></head><body>
<h1>操作台 Operator station · <span id="title">evsm-lab</span></h1>
<section aria-label="运行进度 Run progress"><progress id="runProgress" value="0" max="1"></progress> <span id="runText"></span>
<p id="current"></p>
<button type="button" id="pause">暂停 Pause</button> <span id="conn" role="status"></span>
<p id="pausedBanner" hidden></p></section>
<section id="prompts" aria-label="待办提示 Pending prompts" aria-live="polite"></section>
<p id="idle">没有待办提示 No prompt is waiting: the harness is working.</p>
<h2>消息 Messages</h2><ul id="notices"></ul>
<script>${SCRIPT}</script>
</body></html>`;
