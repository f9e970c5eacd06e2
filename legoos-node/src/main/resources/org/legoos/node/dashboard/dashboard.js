// LegoOS/J dashboard: one page, three views (#/, #/vnode/NAME, #/process/PID), polling the manager's JSON API.
// No build step, no library: the DOM is built with h() (text only, never HTML), the charts drawn on <canvas>.
'use strict';

const POLL_MS = 1000;
const WINDOW_MS = 60000;
const COLORS = ['#4a7bd0', '#d0584a', '#3a9a5a', '#b07a2a', '#8a4ad0', '#2a9ab0', '#d04a9a', '#666'];

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function bytes(n) {
  if (n === null || n === undefined || n < 0) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + units[i];
}

function rate(r) { return r === null || r === undefined ? '-' : Math.round(r).toString(); }

function table(headers, rows, attrs) {
  return h('table', attrs || {},
    h('thead', {}, h('tr', {}, headers.map(([t, num]) => h('th', num ? { class: 'num' } : {}, t)))),
    h('tbody', {}, rows));
}

function td(v, attrs) { return h('td', attrs || {}, v); }
function num(v, id) { const a = { class: 'num' }; if (id) a.id = id; return h('td', a, v); }

// A line chart of a few series over the last WINDOW_MS, drawn on a canvas.
class Chart {
  constructor(id, title) {
    this.canvas = h('canvas', { id, width: 560, height: 180 });
    this.legend = h('div', { class: 'legend' });
    this.el = h('div', { class: 'chart' }, h('div', { class: 'label' }, title), this.canvas, this.legend);
    this.series = new Map();
  }
  add(name, t, v) {
    if (v === null || v === undefined) return;
    if (!this.series.has(name)) this.series.set(name, []);
    this.series.get(name).push([t, v]);
  }
  draw(now) {
    const c = this.canvas.getContext('2d');
    const W = this.canvas.width, H = this.canvas.height, L = 48, B = 18;
    c.clearRect(0, 0, W, H);
    for (const [name, pts] of this.series) {
      while (pts.length && pts[0][0] < now - WINDOW_MS) pts.shift();
      if (!pts.length) this.series.delete(name);
    }
    let max = 1;
    for (const pts of this.series.values()) for (const [, v] of pts) max = Math.max(max, v);
    max = niceCeil(max);
    c.strokeStyle = '#e4e6ea'; c.fillStyle = '#667'; c.font = '11px sans-serif'; c.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = (H - B) * (1 - i / 4) + 0.5;
      c.beginPath(); c.moveTo(L, y); c.lineTo(W, y); c.stroke();
      c.fillText(String(Math.round(max * i / 4)), 2, Math.max(10, y));
    }
    c.fillText('-' + WINDOW_MS / 1000 + 's', L, H - 4);
    c.fillText('now', W - 24, H - 4);
    const x = t => L + (W - L) * (1 - (now - t) / WINDOW_MS);
    const y = v => (H - B) * (1 - v / max);
    this.legend.replaceChildren();
    let i = 0, samples = 0;
    for (const [name, pts] of this.series) {
      const color = COLORS[i++ % COLORS.length];
      c.strokeStyle = color; c.lineWidth = 2; c.beginPath();
      pts.forEach(([t, v], k) => k ? c.lineTo(x(t), y(v)) : c.moveTo(x(t), y(v)));
      c.stroke();
      c.fillStyle = color;
      for (const [t, v] of pts) { c.beginPath(); c.arc(x(t), y(v), 2, 0, 2 * Math.PI); c.fill(); }
      samples = Math.max(samples, pts.length);
      const swatch = h('span', {}, '■ ' + name + ' ' + rate(pts[pts.length - 1][1]) + '/s');
      swatch.style.color = color;
      this.legend.append(swatch);
    }
    this.canvas.dataset.samples = String(samples); // for tests: the longest series drawn
  }
}

function niceCeil(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// Rates from successive samples: key -> {t, v} of the last sample.
class Rates {
  constructor() { this.last = new Map(); }
  update(key, t, v) {
    const prev = this.last.get(key);
    this.last.set(key, { t, v });
    if (!prev || t <= prev.t || v < prev.v) return null;
    return (v - prev.v) * 1000 / (t - prev.t);
  }
}

const state = { timer: null, view: null };

async function get(path) {
  const r = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  const body = await r.text();
  if (r.status === 401) throw new Error('not authorized: open the URL with the token that lego up or lego dashboard prints');
  let json;
  try { json = JSON.parse(body); } catch (e) { throw new Error(path + ': HTTP ' + r.status + ': ' + body); }
  if (!r.ok) { const err = new Error(json.error || ('HTTP ' + r.status)); err.status = r.status; throw err; }
  return json;
}

function showError(msg) {
  const e = document.getElementById('error');
  e.hidden = !msg;
  e.textContent = msg || '';
}

function updated(t) { document.getElementById('updated').textContent = 'updated ' + new Date(t).toLocaleTimeString(); }

// ---------------------------------------------------------------- the cluster view

function clusterView() {
  const procChart = new Chart('chart-process-misses', 'ExCache misses/s per process');
  const compChart = new Chart('chart-component-misses', 'ExCache misses/s per processor component');
  const procRates = new Rates(), compRates = new Rates();
  const boxes = h('div', { class: 'boxes', id: 'components' });
  const vnodes = h('div', { id: 'vnodes' });
  const procs = h('div', { id: 'processes' });
  const warn = h('div', { class: 'warn', id: 'unreachable' });
  document.getElementById('page').replaceChildren(
    h('h2', {}, 'Components'), boxes, warn,
    h('h2', {}, 'Live'), h('div', { class: 'charts' }, procChart.el, compChart.el),
    h('h2', {}, 'vNodes'), vnodes,
    h('h2', {}, 'Processes'), procs);
  return async () => {
    const d = await get('/api/cluster');
    const t = d.timeMillis;
    const byPid = new Map();
    for (const p of d.processes) {
      const r = procRates.update(p.pid, t, p.misses);
      byPid.set(p.pid, r);
      procChart.add(p.pid + ' ' + p.program, t, r);
    }
    const compRate = new Map();
    for (const c of d.components) {
      if (c.role !== 'processor') continue;
      const r = compRates.update(c.id, t, c.excacheMisses);
      compRate.set(c.id, r);
      compChart.add('processor ' + c.id, t, r);
    }
    procChart.draw(t); compChart.draw(t);
    const alive = d.components.filter(c => c.state === 'alive').length;
    document.getElementById('summary').textContent = d.components.length + ' components (' + alive + ' alive) · '
      + d.vnodes.length + ' vNodes · ' + d.processes.length + ' processes';
    updated(t);
    boxes.replaceChildren(...d.components.map(c => componentBox(c, d.processes, compRate.get(c.id))));
    warn.textContent = d.unreachable.length ? 'no answer from ' + d.unreachable.join('; ') : '';
    vnodes.replaceChildren(vnodeTable(d.vnodes, d.processes, byPid));
    procs.replaceChildren(processTable(d.processes, byPid));
  };
}

function componentBox(c, processes, missRate) {
  const box = h('div', { class: 'box ' + c.role + ' ' + c.state, id: 'component-' + c.id },
    h('div', { class: 'title' }, c.role + ' ' + c.id, ' ', h('span', { class: 'sub' }, c.state)),
    h('div', { class: 'sub' }, c.address));
  if (c.role === 'memory') {
    const used = c.memoryUsedBytes, cap = c.memoryCapacityBytes;
    const fill = h('div', {});
    fill.style.width = (cap > 0 ? Math.min(100, 100 * used / cap) : 0).toFixed(1) + '%';
    box.append(h('div', { class: 'bar', title: 'memory used' }, fill),
      h('div', { class: 'sub' }, 'memory ' + bytes(used) + ' / ' + bytes(cap)
        + (c.replicaBytes > 0 ? ' · replicas ' + bytes(c.replicaBytes) : '')));
  } else if (c.role === 'storage') {
    box.append(h('div', { class: 'sub' }, 'files ' + bytes(c.storageUsedBytes)));
  } else if (c.role === 'processor') {
    const lookups = c.excacheHits + c.excacheMisses;
    box.append(h('div', { class: 'sub' }, 'threads ' + c.threads + '/' + c.cores + ' · ExCache ' + bytes(c.excacheBytes)),
      h('div', { class: 'sub' }, 'misses/s ' + rate(missRate)
        + (c.excacheHits > 0 && lookups > 0 ? ' · hit ' + (100 * c.excacheHits / lookups).toFixed(1) + '%' : '')));
    const here = processes.filter(p => p.processor === c.id);
    box.append(h('div', {}, here.map(p => h('a', { class: 'chip', href: '#/process/' + p.pid },
      p.pid + ' ' + p.program + ' @' + p.vnode))));
  }
  return box;
}

function vnodeTable(vnodes, processes, byPid) {
  return table([['vNode'], ['processes', 1], ['threads', 1], ['misses/s', 1], ['memory quota', 1], ['storage node', 1], ['cache node', 1]],
    vnodes.map(v => {
      const ps = processes.filter(p => p.vnodeId === v.id);
      const r = ps.reduce((s, p) => s + (byPid.get(p.pid) || 0), 0);
      return h('tr', { id: 'vnode-' + v.name },
        td(h('a', { href: '#/vnode/' + encodeURIComponent(v.name) }, v.name)), num(ps.length),
        num(ps.reduce((s, p) => s + p.threads, 0)), num(rate(r)), num(bytes(v.memoryQuotaBytes)),
        num(v.storageNode), num(v.cacheMemoryNode));
    }));
}

function processTable(processes, byPid) {
  return table([['pid', 1], ['vNode'], ['program'], ['state'], ['processor', 1], ['home memory', 1], ['threads', 1],
    ['misses', 1], ['misses/s', 1], ['age', 1]],
    processes.map(p => h('tr', { id: 'proc-' + p.pid },
      num(h('a', { href: '#/process/' + p.pid }, p.pid)),
      td(h('a', { href: '#/vnode/' + encodeURIComponent(p.vnode) }, p.vnode)), td(p.program), td(p.state),
      num(p.processor), num(p.homeMemoryNode < 0 ? '-' : p.homeMemoryNode), num(p.threads),
      num(p.misses, 'misses-' + p.pid), num(rate(byPid.get(p.pid)), 'rate-' + p.pid),
      num(((Date.now() - p.startedMillis) / 1000).toFixed(0) + 's'))));
}

// ---------------------------------------------------------------- a process

function processView(pid) {
  const chart = new Chart('chart-this-process', 'ExCache misses/s of pid ' + pid);
  const rates = new Rates();
  const counters = h('div', { id: 'process-counters' });
  const status = h('div', { class: 'warn', id: 'process-status' });
  const spread = h('div', { id: 'process-memory' });
  document.getElementById('page').replaceChildren(h('h2', {}, 'Process ' + pid), status, counters,
    h('h2', {}, 'Live'), h('div', { class: 'charts' }, chart.el), h('h2', {}, 'Memory spread'), spread);
  return async () => {
    let d;
    try {
      d = await get('/api/process/' + pid);
    } catch (e) {
      if (e.status === 404) { status.textContent = 'pid ' + pid + ' runs on no live processor (ended?); last values shown'; return; }
      throw e;
    }
    status.textContent = '';
    const p = d.process, c = d.processorComponent, t = d.timeMillis;
    const r = rates.update(pid, t, p.misses);
    chart.add('misses/s', t, r);
    chart.draw(t);
    updated(t);
    document.getElementById('summary').textContent = 'pid ' + pid + ' · ' + p.program + ' in vNode ' + p.vnode;
    const rows = [
      ['program', p.program], ['vNode', h('a', { href: '#/vnode/' + encodeURIComponent(p.vnode) }, p.vnode)],
      ['state', p.state], ['processor component', p.processor + ' (' + c.address + ')'],
      ['home memory component', p.homeMemoryNode < 0 ? '-' : p.homeMemoryNode],
      ['threads', p.threads], ['ExCache misses', p.misses], ['ExCache misses/s', rate(r)],
      ['started', new Date(p.startedMillis).toLocaleTimeString()],
      ['its processor: ExCache size', bytes(c.excacheBytes)], ['its processor: misses, all processes', c.excacheMisses],
      ['its processor: hits (thread mode)', c.excacheHits]];
    counters.replaceChildren(h('table', {}, h('tbody', {}, rows.map(([k, v]) =>
      h('tr', { id: 'counter-' + k.replace(/[^a-zA-Z]+/g, '-') }, td(k), num(v))))));
    const m = d.memory;
    spread.replaceChildren(!m ? h('div', { class: 'warn' }, d.memoryError || 'unknown') : h('div', {},
      h('p', {}, 'vRegions of ' + bytes(m.vregionBytes) + ' by owning memory component; home ' + m.home
        + (m.homeReplica >= 0 ? ', its metadata replicated on ' + m.homeReplica : ', no home replica')),
      table([['memory component'], ['vRegions', 1], ['address space', 1]], m.owners.map(o =>
        h('tr', { id: 'owner-' + o.node }, td(o.node + (o.node === m.home ? ' (home)' : '')), num(o.vregions),
          num(bytes(o.bytes)))))));
  };
}

// ---------------------------------------------------------------- a vNode

function vnodeView(name) {
  const files = h('div', { id: 'vnode-files' });
  const procs = h('div', { id: 'vnode-processes' });
  const info = h('div', { id: 'vnode-info' });
  const rates = new Rates();
  document.getElementById('page').replaceChildren(h('h2', {}, 'vNode ' + name), info,
    h('h2', {}, 'Processes'), procs, h('h2', {}, 'Files (top directory)'), files);
  let polls = 0;
  return async () => {
    const d = await get('/api/vnode/' + encodeURIComponent(name));
    const t = d.timeMillis, v = d.vnode;
    updated(t);
    document.getElementById('summary').textContent = 'vNode ' + v.name + ' · ' + d.processes.length + ' processes';
    info.textContent = 'id ' + v.id + ' · virtual IP ' + v.virtualIp + ' · memory quota ' + bytes(v.memoryQuotaBytes)
      + ' · storage quota ' + bytes(v.storageQuotaBytes) + ' · storage node ' + v.storageNode + ' · cache node ' + v.cacheMemoryNode;
    const byPid = new Map(d.processes.map(p => [p.pid, rates.update(p.pid, t, p.misses)]));
    procs.replaceChildren(processTable(d.processes, byPid));
    if (polls++ % 5 === 0) { // files change slowly: every fifth poll
      files.replaceChildren(d.filesError ? h('div', { class: 'warn' }, d.filesError) :
        table([['name'], ['size', 1]], d.files.map(f => h('tr', {}, td(f.name + (f.directory ? '/' : '')),
          num(f.directory ? '' : bytes(f.size))))));
    }
  };
}

// ---------------------------------------------------------------- routing and polling

function route() {
  clearTimeout(state.timer);
  const hash = location.hash || '#/';
  let m;
  let poll;
  if ((m = hash.match(/^#\/process\/(\d+)$/))) poll = processView(Number(m[1]));
  else if ((m = hash.match(/^#\/vnode\/(.+)$/))) poll = vnodeView(decodeURIComponent(m[1]));
  else poll = clusterView();
  const view = {};
  state.view = view;
  const tick = async () => {
    try {
      await poll();
      showError(null);
    } catch (e) {
      showError(e.message);
    }
    if (state.view === view) state.timer = setTimeout(tick, POLL_MS);
  };
  tick();
}

window.addEventListener('hashchange', route);
route();
