// The pigrid dashboard: plain browser JavaScript, no build step, no inline script or style (it runs under a strict
// Content-Security-Policy: script-src 'self'). Charts: uPlot (MIT), served by the gateway from node_modules.
//
// Data: GET /api/calculate (every calculation, whoever submitted it) and GET /api/k8s/status every REFRESH_MS;
// the live ones are followed over Server-Sent Events (GET /api/calculate/{id}/events); GET /api/k8s/metrics in a
// cluster. Samples per second are the growth of points_done between two polls.

const params = new URLSearchParams(location.search);
const REFRESH_MS = Math.max(250, Number(params.get('refresh')) || 2000);
/** Event streams open at once (a browser allows 6 connections per host over HTTP/1.1; keep some for fetches). */
const MAX_STREAMS = 3;
/** Pool history kept for the charts. */
const HISTORY = 600;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

const $ = (id) => document.getElementById(id);
const text = (v) => (v === null || v === undefined ? '' : String(v));

// ---- the API token, if the server wants one: kept for this tab, sent as a bearer token on every API call ----

$('token').value = sessionStorage.getItem('pigrid-token') || '';
$('token').addEventListener('change', () => sessionStorage.setItem('pigrid-token', $('token').value.trim()));
const authHeaders = () => {
  const t = $('token').value.trim();
  return t ? { authorization: `Bearer ${t}` } : {};
};
const api = (url, init = {}) => fetch(url, { ...init, headers: { ...authHeaders(), ...(init.headers || {}) } });
/**
 * Server-Sent Events as `on(event, data)`; `close()` stops. EventSource cannot send a header: with a token the
 * stream is read through fetch instead.
 */
function events(url, on) {
  if (!$('token').value.trim()) {
    const es = new EventSource(url);
    for (const name of ['progress', 'end', 'error']) es.addEventListener(name, (e) => on(name, e.data));
    return es;
  }
  const ctl = new AbortController();
  void api(url, { signal: ctl.signal })
    .then(async (res) => {
      if (!res.ok) return on('error', await res.text());
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return on('error', '');
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const name = /^event: (.*)$/m.exec(block);
          const data = /^data: (.*)$/m.exec(block);
          if (name && data) on(name[1], data[1]);
        }
      }
    })
    .catch(() => {});
  return { close: () => ctl.abort() };
}
const el = (tag, props = {}, children = []) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'data') Object.assign(e.dataset, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
};
const int = (n) => Number(n).toLocaleString('en-US');
function si(n) {
  for (const [v, u] of [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ])
    if (Math.abs(n) >= v) return (n / v).toFixed(2) + ' ' + u;
  return Number(n).toFixed(0) + ' ';
}
function duration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = ms / 1000;
  if (s < 60) return (s < 10 ? s.toFixed(1) : Math.round(s)) + ' s';
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
/** 4·inside/points_done and its standard error so far. */
function estimate(c) {
  if (!c.points_done) return undefined;
  const p = c.inside / c.points_done;
  return { pi: 4 * p, sigma: 4 * Math.sqrt((p * (1 - p)) / c.points_done) };
}
function piText(pi, sigma) {
  const d = sigma > 0 ? Math.min(15, Math.max(2, 1 - Math.floor(Math.log10(sigma)))) : 12;
  return pi.toFixed(d);
}
function bar(progress, big) {
  const fill = el('i');
  fill.style.width = Math.round(progress * 1000) / 10 + '%';
  return el('div', { class: big ? 'bar big' : 'bar' }, [fill]);
}

// ---- state ----

/** id → latest snapshot. */
const calcs = new Map();
/** id → [{t, points_done}] for the rate (last 15 s). */
const rateSamples = new Map();
/** id → convergence series {x: points_done[], est[], lo[], hi[]}. */
const convergence = new Map();
/** id → open event stream (anything with close()). */
const streams = new Map();
/** The calculation shown under "Current calculation": chosen by a click or a submission, else the newest live one. */
let selected = null;
let pinned = false;

function observe(c) {
  const prev = calcs.get(c.id);
  // A snapshot from a poll may be older than one from the event stream: keep the most advanced.
  if (prev && !TERMINAL.has(c.status) && (TERMINAL.has(prev.status) || prev.points_done > c.points_done)) return prev;
  calcs.set(c.id, c);
  const now = Date.now();
  const samples = rateSamples.get(c.id) ?? [];
  if (!samples.length || samples[samples.length - 1].points_done !== c.points_done) samples.push({ t: now, points_done: c.points_done });
  while (samples.length > 2 && now - samples[0].t > 15_000) samples.shift();
  rateSamples.set(c.id, samples);
  const est = estimate(c);
  if (est) {
    const s = convergence.get(c.id) ?? { x: [], est: [], lo: [], hi: [] };
    if (!s.x.length || s.x[s.x.length - 1] < c.points_done) {
      s.x.push(c.points_done);
      s.est.push(est.pi);
      s.lo.push(est.pi - est.sigma);
      s.hi.push(est.pi + est.sigma);
    }
    convergence.set(c.id, s);
  }
  return c;
}

/** Points per second (recent window, else average since start) and time left. */
function rateOf(c) {
  const s = rateSamples.get(c.id) ?? [];
  let rate;
  if (s.length >= 2 && s[s.length - 1].t - s[0].t >= 300 && s[s.length - 1].points_done > s[0].points_done) {
    rate = ((s[s.length - 1].points_done - s[0].points_done) * 1000) / (s[s.length - 1].t - s[0].t);
  } else if (c.started_at && c.points_done > 0) {
    const ms = (c.finished_at ? Date.parse(c.finished_at) : Date.now()) - Date.parse(c.started_at);
    if (ms > 0) rate = (c.points_done * 1000) / ms;
  }
  const eta = rate && !TERMINAL.has(c.status) ? ((c.points - c.points_done) * 1000) / rate : undefined;
  return { rate, eta };
}

// ---- live streams ----

function follow(id) {
  if (streams.has(id)) return;
  const stream = events(`/api/calculate/${encodeURIComponent(id)}/events`, (name, data) => {
    if (name === 'error') {
      // A server-sent `error` event carries the error body; a connection error has no data and is retried by the
      // browser unless the calculation has ended.
      const c = calcs.get(id);
      if (data || (c && TERMINAL.has(c.status))) stopFollowing(id);
      return;
    }
    observe(JSON.parse(data));
    render();
    if (name === 'end') {
      stopFollowing(id);
      void refreshCalculations();
    }
  });
  streams.set(id, stream);
}
function stopFollowing(id) {
  streams.get(id)?.close();
  streams.delete(id);
}
/** Streams for the selected calculation and the newest live ones, at most MAX_STREAMS. */
function syncStreams() {
  const live = [...calcs.values()].filter((c) => !TERMINAL.has(c.status)).sort((a, b) => b.created_at.localeCompare(a.created_at));
  const want = new Set();
  if (selected && calcs.get(selected) && !TERMINAL.has(calcs.get(selected).status)) want.add(selected);
  for (const c of live) if (want.size < MAX_STREAMS) want.add(c.id);
  for (const id of [...streams.keys()]) if (!want.has(id)) stopFollowing(id);
  for (const id of want) follow(id);
}

// ---- charts (uPlot) ----

const charts = {};
function makeChart(id, series, opts = {}) {
  const target = $(id);
  const width = Math.max(200, target.clientWidth || 300);
  const u = new uPlot(
    {
      width,
      height: 180,
      scales: { x: { time: opts.time !== false }, ...(opts.scales ?? {}) },
      axes: [{ values: opts.xValues }, { size: 60, values: opts.yValues }],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      series: [{}, ...series],
      bands: opts.bands,
    },
    [[], ...series.map(() => [])],
    target,
  );
  charts[id] = u;
  return u;
}
function setChartData(id, data) {
  const u = charts[id];
  if (!u) return;
  u.setData(data);
  $(id).dataset.points = String(data[0].length);
}
/** Axis labels: three significant digits and a unit, 400 M, 1.5 G. */
function siShort(n) {
  for (const [v, u] of [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ])
    if (Math.abs(n) >= v) return `${Number((n / v).toPrecision(3))} ${u}`;
  return String(Number(n.toPrecision(3)));
}
const siAxis = (_u, vals) => vals.map((v) => (v === null ? '' : siShort(v)));

function initCharts() {
  if (typeof uPlot === 'undefined') return; // the page still works without charts
  makeChart('chart-pool', [
    { label: 'workers', stroke: '#2a7', width: 2 },
    { label: 'capacity', stroke: '#36c', width: 1.5 },
    { label: 'leases in flight', stroke: '#e80', width: 1.5 },
    { label: 'worker replicas (HPA)', stroke: '#999', width: 1, dash: [4, 4] },
  ]);
  makeChart('chart-backlog', [{ label: 'backlog chunks', stroke: '#c33', fill: 'rgba(204,51,51,.08)', width: 1.5 }], { yValues: siAxis });
  makeChart('chart-rate', [{ label: 'samples/s', stroke: '#36c', fill: 'rgba(51,102,204,.08)', width: 1.5 }], { yValues: siAxis });
  makeChart(
    'chart-pi',
    [
      { label: 'π estimate', stroke: '#36c', width: 2, value: (_u, v) => (v === null ? '' : v.toFixed(6)) },
      { label: '+σ', stroke: 'rgba(51,102,204,.35)', width: 1 },
      { label: '−σ', stroke: 'rgba(51,102,204,.35)', width: 1 },
      { label: 'π', stroke: '#2a7', width: 1, dash: [6, 4] },
    ],
    {
      time: false,
      xValues: siAxis,
      yValues: (_u, vals) => vals.map((v) => v.toFixed(4)),
      bands: [{ series: [2, 3], fill: 'rgba(51,102,204,.15)' }],
    },
  );
  const ro = new ResizeObserver(() => {
    for (const [id, u] of Object.entries(charts)) {
      const w = $(id).clientWidth;
      if (w > 0 && Math.abs(w - u.width) > 2) u.setSize({ width: w, height: 180 });
    }
  });
  for (const id of Object.keys(charts)) ro.observe($(id));
}

const history = { t: [], workers: [], capacity: [], leases: [], replicas: [], backlog: [], rateT: [], rate: [] };
function pushHistory(key, value) {
  history[key].push(value);
  if (history[key].length > HISTORY) history[key].shift();
}

// ---- rendering ----

function currentId() {
  if (pinned && selected && calcs.has(selected)) return selected;
  const live = [...calcs.values()].filter((c) => !TERMINAL.has(c.status)).sort((a, b) => b.created_at.localeCompare(a.created_at));
  if (live.length) return (selected = live[0].id);
  if (selected && calcs.has(selected)) return selected;
  const newest = [...calcs.values()].sort((a, b) => b.created_at.localeCompare(a.created_at))[0];
  return newest ? (selected = newest.id) : null;
}

function statsLine(c) {
  const { rate, eta } = rateOf(c);
  const est = estimate(c);
  const parts = [`${int(c.chunks_done)}/${int(c.chunk_count)} chunks`, `${int(c.points_done)} of ${int(c.points)} points`];
  if (rate) parts.push(`${si(rate)}samples/s`);
  if (eta !== undefined) parts.push(`ETA ${duration(eta)}`);
  if (est) parts.push(`π ≈ ${piText(est.pi, est.sigma)} ± ${est.sigma.toPrecision(2)}`);
  return parts.join(' · ');
}

function renderCurrent() {
  const id = currentId();
  const c = id && calcs.get(id);
  const box = $('current');
  if (!c) {
    box.textContent = 'none yet';
    $('current-detail').hidden = true;
    return;
  }
  const pct = Math.round(c.progress * 1000) / 10;
  const status = el('p', { id: 'current-status', data: { status: c.status, id: c.id } });
  status.textContent = `${c.id} — ${c.mode}, ${int(c.points)} points, seed ${c.seed}: ${c.status} ${pct}%`;
  const children = [status];
  if (c.result_pi !== null) {
    children.push(
      el('p', {
        id: 'result',
        text:
          `π ≈ ${c.result_pi} ± ${c.std_error.toExponential(2)} (inside ${int(c.inside)} of ${int(c.points)}, ${c.duration_ms} ms; ` +
          `${c.chunks_verified} of ${c.chunk_count} chunks verified by a second computation` +
          (c.chunks_recomputed ? `, ${c.chunks_recomputed} recomputed` : '') +
          ')',
      }),
    );
  }
  if (c.error) children.push(el('p', { class: 'error', text: c.error }));
  box.replaceChildren(...children);
  $('current-detail').hidden = false;
  $('current-bar').firstElementChild.style.width = pct + '%';
  $('current-stats').textContent = statsLine(c);
  const cancel = $('cancel');
  cancel.hidden = TERMINAL.has(c.status);
  cancel.dataset.id = c.id;
  const s = convergence.get(c.id);
  if (s) setChartData('chart-pi', [s.x, s.est, s.hi, s.lo, s.x.map(() => Math.PI)]);
  else setChartData('chart-pi', [[], [], [], [], []]);
}

/**
 * Keeps the children of `container` in step with `items` (keyed by id): existing elements are updated in place, so
 * a button under the pointer is never replaced while someone clicks it; nodes move only when the order changes.
 */
function syncKeyed(container, items, create, update) {
  const byId = new Map([...container.children].filter((n) => n.dataset.id).map((n) => [n.dataset.id, n]));
  const wanted = items.map((item) => {
    let node = byId.get(item.id);
    if (!node) node = create(item);
    update(node, item);
    return node;
  });
  for (const [id, node] of byId) if (!items.some((i) => i.id === id)) node.remove();
  for (const n of [...container.children]) if (!n.dataset.id) n.remove();
  const current = [...container.children];
  if (current.length !== wanted.length || current.some((n, i) => n !== wanted[i])) {
    wanted.forEach((node, i) => {
      if (container.children[i] !== node) container.insertBefore(node, container.children[i] ?? null);
    });
  }
}
function setText(node, value) {
  if (node.textContent !== value) node.textContent = value;
}

function renderActive() {
  const live = [...calcs.values()].filter((c) => !TERMINAL.has(c.status)).sort((a, b) => b.created_at.localeCompare(a.created_at));
  const box = $('active');
  if (!live.length) {
    if (!box.querySelector('.muted')) box.replaceChildren(el('p', { class: 'muted', text: 'nothing running' }));
    return;
  }
  const current = currentId();
  syncKeyed(
    box,
    live,
    (c) => {
      const show = el('button', { class: 'link', type: 'button', text: c.id.slice(0, 8), title: c.id });
      show.addEventListener('click', () => select(c.id));
      const cancel = el('button', { class: 'danger', type: 'button', text: 'Cancel' });
      cancel.addEventListener('click', () => void cancelCalculation(c.id));
      return el('div', { class: 'card', data: { id: c.id } }, [
        el('div', { class: 'row' }, [show, el('span', { class: 'what' }), cancel]),
        bar(0),
        el('p', { class: 'rate' }),
        el('p', { class: 'estimate' }),
      ]);
    },
    (node, c) => {
      const est = estimate(c);
      const { rate, eta } = rateOf(c);
      node.className = c.id === current ? 'card selected' : 'card';
      node.dataset.status = c.status;
      setText(node.querySelector('.what'), `${c.mode} · ${c.status}`);
      node.querySelector('.bar > i').style.width = Math.round(c.progress * 1000) / 10 + '%';
      setText(
        node.querySelector('.rate'),
        `${(c.progress * 100).toFixed(1)}% of ${int(c.points)} · ${rate ? si(rate) + 'samples/s' : '–'} · ETA ${eta !== undefined ? duration(eta) : '?'}`,
      );
      setText(node.querySelector('.estimate'), est ? `π ≈ ${piText(est.pi, est.sigma)} ± ${est.sigma.toPrecision(2)}` : 'π: no chunk yet');
    },
  );
}

function renderRecent() {
  const list = [...calcs.values()].sort((a, b) => b.created_at.localeCompare(a.created_at)).slice(0, 15);
  syncKeyed(
    $('recent'),
    list,
    (c) => {
      const tr = el(
        'tr',
        { data: { id: c.id } },
        [0, 1, 2, 3, 4, 5].map(() => el('td')),
      );
      tr.addEventListener('click', () => select(c.id));
      return tr;
    },
    (tr, c) => {
      [c.id.slice(0, 8), c.mode, int(c.points), c.status, text(c.result_pi), text(c.seed)].forEach((v, i) => setText(tr.children[i], v));
    },
  );
}

function render() {
  renderCurrent();
  renderActive();
  renderRecent();
}

function select(id) {
  selected = id;
  pinned = true;
  syncStreams();
  render();
}

async function cancelCalculation(id) {
  const res = await api(`/api/calculate/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
  const json = await res.json().catch(() => ({}));
  if (res.ok) observe(json);
  else $('submit-error').textContent = json.error ? json.error.message : `cancel: HTTP ${res.status}`;
  render();
}

// ---- polling ----

let lastTotals = null; // { t, points: Map id → points_done }
const RATE_WINDOW_MS = 5_000;
const growth = []; // { t, delta } of the polls in the window
let firstPoll = 0;
async function refreshCalculations() {
  try {
    const page = await (await api('/api/calculate?page_size=25')).json();
    const now = Date.now();
    const points = new Map();
    for (const c of page.calculations) {
      observe(c);
      points.set(c.id, c.points_done);
    }
    if (lastTotals) {
      let delta = 0;
      for (const c of page.calculations) {
        const before = lastTotals.points.get(c.id);
        if (before !== undefined) delta += Math.max(0, c.points_done - before);
        else if (Date.parse(c.created_at) >= lastTotals.t - 1000) delta += c.points_done;
      }
      // Points arrive a chunk at a time: average the growth over the last RATE_WINDOW_MS.
      growth.push({ t: now, delta });
      while (growth.length > 1 && now - growth[0].t > RATE_WINDOW_MS) growth.shift();
      const span = Math.max(now - lastTotals.t, Math.min(RATE_WINDOW_MS, now - firstPoll));
      pushHistory('rateT', now / 1000);
      pushHistory('rate', (growth.reduce((sum, g) => sum + g.delta, 0) * 1000) / span);
      setChartData('chart-rate', [history.rateT, history.rate]);
    } else firstPoll = now;
    lastTotals = { t: now, points };
    syncStreams();
    render();
  } catch (e) {
    /* keep the last view */
  }
}

async function refreshStatus() {
  try {
    const s = await (await api('/api/k8s/status')).json();
    const c = s.coordinator || {};
    $('workers').replaceChildren(
      ...(c.workers || []).map((w) => {
        const tr = el(
          'tr',
          {},
          [w.id, w.address, w.state, w.capacity, w.in_flight, w.chunks_completed, w.chunks_verified].map((v) =>
            el('td', { text: text(v) }),
          ),
        );
        // Quarantined: computed a wrong result. Suspect: backed off or let a lease expire.
        if (w.state === 'QUARANTINED') tr.className = 'quarantined';
        else if (w.state === 'BACKOFF' || w.state === 'UNRESPONSIVE') tr.className = 'suspect';
        return tr;
      }),
    );
    $('quarantined').replaceChildren(
      ...(c.quarantined || []).map((q) =>
        el('p', { class: 'error', text: `quarantined ${q.worker_id} at ${q.quarantined_at}: ${q.reason}` }),
      ),
    );
    $('pool').textContent = c.error
      ? `coordinator: ${c.error.message}`
      : `capacity ${c.total_capacity} threads, ${c.leases_in_flight} leases in flight, backlog ${c.backlog_chunks} chunks, ${c.active_calculations} active calculations` +
        (s.in_cluster ? ` — namespace ${s.namespace}` : ' — not in a cluster');
    if (!c.error) {
      const workerHpa = (s.hpas || []).find((h) => /worker/.test(h.name));
      pushHistory('t', Date.now() / 1000);
      pushHistory('workers', (c.workers || []).filter((w) => w.state !== 'QUARANTINED').length);
      pushHistory('capacity', c.total_capacity);
      pushHistory('leases', c.leases_in_flight);
      pushHistory('replicas', workerHpa ? workerHpa.current_replicas : null);
      pushHistory('backlog', c.backlog_chunks);
      setChartData('chart-pool', [history.t, history.workers, history.capacity, history.leases, history.replicas]);
      setChartData('chart-backlog', [history.t, history.backlog]);
    }
    // The HPA series only means something in a cluster.
    const replicas = charts['chart-pool']?.series[4];
    if (replicas && replicas.show !== Boolean(s.in_cluster)) charts['chart-pool'].setSeries(4, { show: Boolean(s.in_cluster) });
    void renderK8s(s);
  } catch (e) {
    $('pool').textContent = 'status unavailable';
  }
}

let metricsAt = 0;
async function renderK8s(s) {
  if (!s.in_cluster) {
    $('hpas').replaceChildren(
      el('p', {
        class: 'muted',
        text: 'Not in a Kubernetes cluster: HPAs and pods appear here when the gateway runs in one. Locally, npx pigrid local scale N adds or removes workers.',
      }),
    );
    $('pods-table').hidden = true;
    return;
  }
  $('hpas').replaceChildren(
    ...(s.hpas || []).map((h) =>
      el('p', {
        text: `HPA ${h.name}: ${text(h.current_replicas)}/${text(h.desired_replicas)} replicas (min ${text(h.min_replicas)}, max ${h.max_replicas}), CPU ${text(h.current_cpu_utilization)}% of ${text(h.target_cpu_utilization)}%`,
      }),
    ),
  );
  // Per-pod CPU from metrics-server, at most every 10 s.
  let usage = new Map();
  if (Date.now() - metricsAt > 10_000) {
    metricsAt = Date.now();
    try {
      const m = await (await api('/api/k8s/metrics')).json();
      usage = new Map((m.pods || []).map((p) => [p.name, p]));
      renderK8s.usage = usage;
    } catch (e) {
      /* keep the last */
    }
  } else usage = renderK8s.usage || usage;
  const rows = [];
  for (const [component, pods] of Object.entries(s.pods || {})) {
    for (const p of pods) {
      const u = usage.get(p.name);
      rows.push(
        el(
          'tr',
          {},
          [
            p.name,
            component,
            p.phase,
            p.ready ? 'yes' : 'no',
            p.restarts,
            u ? Math.round(u.cpu_millicores) : '',
            u ? si(u.memory_bytes) + 'B' : '',
          ].map((v) => el('td', { text: text(v) })),
        ),
      );
    }
  }
  $('pods').replaceChildren(...rows);
  $('pods-table').hidden = rows.length === 0;
}

// ---- submit ----

$('submit').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('submit-error').textContent = '';
  const body = { points: Number($('points').value), mode: $('mode').value };
  if ($('seed').value !== '') body.seed = Number($('seed').value);
  if ($('chunk-size').value !== '') body.chunk_size = Number($('chunk-size').value);
  let res;
  let json;
  try {
    res = await api('/api/calculate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    json = await res.json();
  } catch (e) {
    $('submit-error').textContent = 'the gateway does not answer';
    return;
  }
  if (res.status !== 202) {
    $('submit-error').textContent = json.error ? json.error.message : `HTTP ${res.status}`;
    return;
  }
  observe(json);
  select(json.id);
});
$('cancel').addEventListener('click', () => {
  const id = $('cancel').dataset.id;
  if (id) void cancelCalculation(id);
});

function start() {
  initCharts();
  void refreshStatus();
  void refreshCalculations();
  setInterval(() => {
    void refreshStatus();
    void refreshCalculations();
  }, REFRESH_MS);
}
// uPlot is a deferred classic script: it has run by the time this module runs, but wait for it to be safe.
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
