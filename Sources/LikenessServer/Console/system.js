// What runs and how it is doing: the pack and its licences, counts, the index, the executors.
import { api, can } from './api.js';
import { h, toast, similarity } from './dom.js';

export async function systemView() {
  const [system, index] = await Promise.all([api('GET', '/v1/system'), api('GET', '/v1/index')]);

  const overview = facts([
    ['Version', system.version],
    ['Model pack', system.pack],
    ['Recognizer', `${system.recognizer} (${system.dimension}-d)`],
    ['People', system.people.toLocaleString()],
    ['Faces', system.faces.toLocaleString()],
    ['Liveness', system.liveness_available ? 'available' : 'not in this pack'],
    ['Age and gender', system.attributes_available ? 'available' : 'not in this pack'],
    ['Up for', duration(system.uptime_seconds)],
  ], 'system-facts');

  const indexFacts = facts([
    ['Kind', index.index_type + (index.index_setting !== index.index_type ? ` (setting: ${index.index_setting})` : '')],
    ['Vectors', index.total_vectors.toLocaleString()],
    ['Faces by recognizer', Object.entries(index.faces_by_recognizer || {}).map(([r, n]) => `${r}: ${n.toLocaleString()}`).join(', ') || 'none'],
    ['Not searchable now', index.unsearchable_faces ? `${index.unsearchable_faces.toLocaleString()} (enrolled under another recognizer: see likeness migrate)` : 'none'],
    ['Memory', bytes(index.memory_bytes)],
    ['Threshold', index.threshold_applied
      ? `${similarity(index.threshold_applied.cosine)}: ${index.threshold_applied.reason}`
      : similarity(index.default_threshold)],
    ['Calibrated', index.calibrated ? 'yes' : 'no'],
    ['Change-log position', `${index.index_position}${index.database_position != null ? ` of ${index.database_position}` : ''}`],
    ['Snapshot', index.snapshot_age_seconds != null ? `${duration(index.snapshot_age_seconds)} old (position ${index.snapshot_position})` : 'none yet'],
    ['Rebuilding', index.rebuilding || 'no'],
    ['Last build error', index.last_build_error || 'none'],
  ], 'index-facts');

  const models = h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, ['Role', 'File', 'Licence'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, system.models.map((m) => h('tr', {},
      h('td', {}, m.role), h('td', {}, h('code', {}, m.file)),
      h('td', {}, m.licence || 'unknown', m.restricted ? h('strong', { class: 'warn' }, ' (non-commercial: check before production use)') : null))))));

  const executors = h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, ['Executor', 'Threads', 'Running', 'Queued', 'Queue limit'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, system.executors.map((e) => h('tr', {},
      h('td', {}, e.name), h('td', {}, e.threads), h('td', {}, e.running), h('td', {}, e.queued),
      h('td', {}, e.queue_limit < 0 ? 'none' : e.queue_limit))))));

  return h('section', {},
    h('h1', { tabindex: '-1' }, 'System'),
    overview,
    h('h2', {}, 'Index'), indexFacts,
    can('admin') ? rebuildButton() : null,
    h('h2', {}, 'Models'), models,
    h('h2', {}, 'Work queues'), executors,
    h('p', {}, h('a', { href: '/metrics' }, 'Prometheus metrics'), ' · ', h('a', { href: '/docs' }, 'API docs')));
}

function rebuildButton() {
  const button = h('button', { type: 'button', 'data-edit': 'rebuild',
    onclick: async () => {
      button.disabled = true;
      toast('Rebuilding the index; the current one answers until the new one is ready.');
      try {
        await api('POST', '/v1/index/rebuild');
        toast('The index was rebuilt.');
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } catch (e) {
        toast(e.message, 'error');
        button.disabled = false;
      }
    } }, 'Rebuild the index');
  return h('p', {}, button);
}

function facts(pairs, id) {
  return h('dl', { class: 'facts', id }, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]));
}

function bytes(n) {
  if (n == null) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i += 1; }
  return `${x.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function duration(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
