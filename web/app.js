// The dashboard: polls the gateway's JSON endpoints and draws tables and bars. No third-party
// code, no inline script (the page is served with a strict Content-Security-Policy).

const $ = (id) => document.getElementById(id);
let key = sessionStorage.getItem('switchyard-key') || '';
$('key').value = key ? '••••••••' : '';
$('auth').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('key').value;
  if (value && !value.startsWith('•')) {
    key = value;
    sessionStorage.setItem('switchyard-key', key);
    $('key').value = '••••••••';
  }
  refresh();
});
$('range').addEventListener('change', refresh);

async function get(path) {
  const response = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}
function cell(text, numeric) {
  const td = document.createElement('td');
  td.textContent = text;
  if (numeric) td.className = 'num';
  return td;
}
function rows(tbody, data) {
  tbody.replaceChildren(
    ...data.map((values) => {
      const tr = document.createElement('tr');
      for (const [text, numeric, className] of values) {
        const td = cell(text, numeric);
        if (className) td.classList.add(className);
        tr.append(td);
      }
      return tr;
    }),
  );
}
function bars(container, entries, format) {
  const max = Math.max(1e-12, ...entries.map(([, v]) => v));
  container.replaceChildren(
    ...entries.map(([label, value]) => {
      const row = document.createElement('div');
      row.className = 'row';
      const name = document.createElement('span');
      name.textContent = label;
      const track = document.createElement('div');
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.style.width = `${(100 * value) / max}%`;
      track.append(bar);
      const amount = document.createElement('span');
      amount.textContent = format(value);
      row.append(name, track, amount);
      return row;
    }),
  );
}
const usd = (v) => `$${v < 0.01 ? v.toFixed(6) : v.toFixed(4)}`;

async function refresh() {
  const range = $('range').value;
  try {
    const [metrics, models] = await Promise.all([get(`/v1/metrics?time_range=${range}`), get('/models')]);
    const t = metrics.totals;
    $('totals').replaceChildren(
      ...[
        ['requests', t.requests],
        ['failed', t.failed],
        ['tokens in', t.input_tokens],
        ['tokens out', t.output_tokens],
        ['cost', usd(t.cost_usd)],
        ['p50 / p99 ms', `${Math.round(metrics.latency_ms.p50)} / ${Math.round(metrics.latency_ms.p99)}`],
      ].map(([label, value]) => {
        const card = document.createElement('div');
        card.className = 'card';
        const b = document.createElement('b');
        b.textContent = String(value);
        card.append(b, label);
        return card;
      }),
    );
    bars(
      $('latency'),
      [
        ['p50', metrics.latency_ms.p50],
        ['p95', metrics.latency_ms.p95],
        ['p99', metrics.latency_ms.p99],
        ['ttft p50', metrics.ttft_ms.p50],
        ['ttft p99', metrics.ttft_ms.p99],
      ],
      (v) => `${Math.round(v)} ms`,
    );
    rows(
      $('models').tBodies[0],
      models.models.map((m) => {
        const s = metrics.models[m.name] || {
          requests: 0,
          failed: 0,
          cost_usd: 0,
          latency_ms: { p50: 0, p99: 0 },
        };
        return [
          [m.name],
          [m.tier],
          [m.status],
          [String(s.requests), true],
          [String(s.failed), true],
          [usd(s.cost_usd), true],
          [String(Math.round(s.latency_ms.p50)), true],
          [String(Math.round(s.latency_ms.p99)), true],
          [`${m.cost.input_per_mtok} / ${m.cost.output_per_mtok}`, true],
        ];
      }),
    );
    bars(
      $('cost'),
      Object.entries(metrics.models)
        .map(([name, s]) => [name, s.cost_usd])
        .sort((a, b) => b[1] - a[1]),
      usd,
    );
    bars(
      $('errors'),
      Object.entries(metrics.errors).sort((a, b) => b[1] - a[1]),
      (v) => String(v),
    );
    $('status').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    $('status').textContent = String(error.message || error);
  }
  try {
    const [circuits, queue] = await Promise.all([get('/admin/circuits'), get('/admin/queue')]);
    rows(
      $('circuits').tBodies[0],
      circuits.circuits.map((c) => [
        [c.deployment],
        [c.state, false, `state-${c.state}`],
        [String(c.window_calls), true],
        [String(c.window_failures), true],
        [c.last_transition ? `${c.last_transition.to} — ${c.last_transition.reason}` : ''],
      ]),
    );
    $('queue').textContent = JSON.stringify(queue, null, 2);
  } catch (error) {
    $('queue').textContent = `admin views need an admin key (${error.message})`;
  }
}
refresh();
setInterval(refresh, 5000);
