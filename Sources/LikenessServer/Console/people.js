// People: the list (search, paging, create) and one person's page (edit, delete, faces, enrol).
import { api, apiImage, can } from './api.js';
import { h, field, toast, date, similarity } from './dom.js';
import { webcamCapture } from './webcam.js';

const PAGE = 25;

// The list's state lives in the hash (#/people?search=..&offset=..), so Back and bookmarks work.
export async function peopleView(query = '') {
  const params = new URLSearchParams(query);
  const search = params.get('search') || '';
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const page = await api('GET', '/v1/people', { query: { search, offset, limit: PAGE } });

  const box = h('input', { type: 'search', name: 'search', value: search, placeholder: 'name or class_id' });
  const searchForm = h('form', { role: 'search', class: 'inline',
    onsubmit: (event) => { event.preventDefault(); go(box.value.trim(), 0); } },
  field('Search people', box), h('button', { type: 'submit' }, 'Search'));

  const rows = page.items.map((p) => h('tr', {},
    h('td', {}, h('a', { href: `#/people/${encodeURIComponent(p.class_id)}`, class: 'person-link' }, p.name || p.class_id)),
    h('td', {}, h('code', {}, p.class_id)),
    h('td', { class: 'wrap' }, p.info),
    h('td', {}, date(p.created_at))));
  const table = page.items.length
    ? h('div', { class: 'scroll' }, h('table', { id: 'people-table' },
      h('caption', { class: 'sr-only' }, 'People'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'class_id'),
        h('th', { scope: 'col' }, 'Info'), h('th', { scope: 'col' }, 'Created'))),
      h('tbody', {}, rows)))
    : h('p', { class: 'muted' }, search ? `Nobody matches “${search}”.` : 'Nobody is enrolled yet.');

  const last = Math.min(offset + page.items.length, page.total);
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('button', { type: 'button', disabled: offset === 0, onclick: () => go(search, Math.max(0, offset - PAGE)) }, '← Previous'),
    h('span', {}, page.total ? `${offset + 1}–${last} of ${page.total}` : '0 people'),
    h('button', { type: 'button', disabled: last >= page.total, onclick: () => go(search, offset + PAGE) }, 'Next →'));

  return h('section', {},
    h('h1', { tabindex: '-1' }, 'People'),
    searchForm, table, pager,
    can('operator') ? createForm() : null);
}

function go(search, offset) {
  const params = new URLSearchParams();
  if (search) params.set('search', search);
  if (offset) params.set('offset', offset);
  const text = params.toString();
  location.hash = text ? `#/people?${text}` : '#/people';
}

function createForm() {
  const classID = h('input', { name: 'class_id', required: true, maxlength: 255, autocomplete: 'off' });
  const name = h('input', { name: 'name', required: true, autocomplete: 'off' });
  const info = h('input', { name: 'info', autocomplete: 'off' });
  const files = h('input', { type: 'file', name: 'file', accept: 'image/*', multiple: true });
  const message = h('p', { role: 'status' });
  return h('form', { class: 'card', id: 'create-person',
    onsubmit: async (event) => {
      event.preventDefault();
      message.textContent = '';
      try {
        const person = await api('POST', '/v1/people', { json: { class_id: classID.value.trim(), name: name.value.trim(), info: info.value } });
        if (files.files.length) await enrol(person.class_id, [...files.files]);
        toast(`Created ${person.name}.`);
        location.hash = `#/people/${encodeURIComponent(person.class_id)}`;
      } catch (e) {
        message.textContent = e.message;
        message.className = 'error';
      }
    } },
  h('h2', {}, 'Add a person'),
  h('div', { class: 'grid' }, field('class_id', classID), field('Name', name), field('Info', info),
    field('Photos (optional)', files)),
  h('button', { type: 'submit', class: 'primary' }, 'Create'), message);
}

// Uploads photos for a person; reports each photo's outcome.
async function enrol(classID, blobs) {
  const form = new FormData();
  blobs.forEach((blob, i) => form.append('file', blob, blob.name || `capture-${i + 1}.jpg`));
  try {
    const result = await api('POST', `/v1/people/${encodeURIComponent(classID)}/faces`, { form });
    const rejected = result.results.filter((r) => r.status !== 'enrolled');
    const warned = result.results.filter((r) => r.face && r.face.warning);
    const enrolled = result.results.length - rejected.length;
    let text = `${enrolled} photo${enrolled === 1 ? '' : 's'} enrolled.`;
    if (rejected.length) text += ` Rejected: ${rejected.map((r) => `${r.filename || 'image'} (${r.error.message})`).join('; ')}.`;
    if (warned.length) text += ` Check: ${warned.map((r) => r.face.warning.message).join('; ')}.`;
    toast(text, rejected.length || warned.length ? 'warn' : 'info');
  } catch (e) {
    toast(e.message, 'error');
    throw e;
  }
}

export async function personView(classID) {
  const path = `/v1/people/${encodeURIComponent(classID)}`;
  const [person, faces] = await Promise.all([api('GET', path), api('GET', `${path}/faces`)]);
  const operator = can('operator');

  const details = h('dl', { class: 'facts' },
    h('dt', {}, 'class_id'), h('dd', {}, h('code', {}, person.class_id)),
    h('dt', {}, 'Info'), h('dd', { class: 'wrap' }, person.info || '—'),
    h('dt', {}, 'Created'), h('dd', {}, date(person.created_at)),
    h('dt', {}, 'Updated'), h('dd', {}, date(person.updated_at)));

  const faceList = faces.length
    ? h('ul', { class: 'faces', id: 'faces' }, faces.map((f) => faceCard(f, operator)))
    : h('p', { class: 'muted', id: 'faces' }, 'No face enrolled: this person cannot be recognised yet.');

  return h('section', {},
    h('p', {}, h('a', { href: '#/people' }, '← People')),
    h('h1', { tabindex: '-1' }, person.name || person.class_id),
    details,
    operator ? editForm(person, path) : null,
    h('h2', {}, `Faces (${faces.length})`), faceList,
    operator ? enrolForm(person.class_id) : null,
    operator ? deleteControl(person, path) : null);
}

function faceCard(face, operator) {
  const [x, y, w, hgt] = face.box.map((v) => Math.round(v));
  const picture = face.has_crop ? h('img', { class: 'crop', alt: `Face ${face.image_id} as enrolled`, width: 160, height: 160 }) : null;
  if (picture) {
    apiImage(`/v1/faces/${face.image_id}/crop`).then((url) => {
      picture.onload = () => URL.revokeObjectURL(url);
      picture.src = url;
    }).catch(() => { picture.alt = `Face ${face.image_id}: the crop could not be loaded`; });
  }
  return h('li', { class: 'card face' },
    picture,
    h('p', {}, h('strong', {}, `Face ${face.image_id}`)),
    h('p', { class: 'muted' }, `Box ${w}×${hgt} at (${x}, ${y}), detector score ${similarity(face.detection_score)}`),
    h('p', { class: 'muted' }, `Enrolled ${date(face.created_at)} with ${face.recognizer}`),
    face.warning ? h('p', { class: 'warn' }, face.warning.message) : null,
    operator ? h('button', { type: 'button', class: 'danger small', 'data-edit': 'delete-face',
      onclick: async () => {
        try {
          await api('DELETE', `/v1/faces/${face.image_id}`);
          toast(`Face ${face.image_id} deleted.`);
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        } catch (e) { toast(e.message, 'error'); }
      } }, `Delete face ${face.image_id}`) : null);
}

function editForm(person, path) {
  const name = h('input', { name: 'name', value: person.name, required: true });
  const info = h('textarea', { name: 'info', rows: 2 }, person.info);
  return h('form', { class: 'card', id: 'edit-person', 'data-edit': 'edit',
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api('PATCH', path, { json: { name: name.value.trim(), info: info.value } });
        toast('Saved.');
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } catch (e) { toast(e.message, 'error'); }
    } },
  h('h2', {}, 'Edit'), h('div', { class: 'grid' }, field('Name', name), field('Info', info)),
  h('button', { type: 'submit' }, 'Save'));
}

function enrolForm(classID) {
  const files = h('input', { type: 'file', name: 'file', accept: 'image/*', multiple: true, required: true, id: 'enrol-files' });
  const refresh = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  const camera = h('div', { class: 'camera' });
  return h('div', { class: 'card', 'data-edit': 'enrol' },
    h('h2', {}, 'Enrol photos'),
    h('form', { id: 'enrol-form', class: 'inline',
      onsubmit: async (event) => {
        event.preventDefault();
        if (!files.files.length) return;
        try { await enrol(classID, [...files.files]); refresh(); } catch { /* reported */ }
      } },
    field('Photos', files), h('button', { type: 'submit', class: 'primary' }, 'Upload')),
    h('button', { type: 'button', onclick: () => webcamCapture(camera, async (blob) => {
      await enrol(classID, [blob]);
      refresh();
    }) }, 'Use the webcam'),
    camera);
}

// Two steps rather than a confirm() dialog: keyboard- and screen-reader-friendly, and testable.
function deleteControl(person, path) {
  const confirmButton = h('button', { type: 'button', class: 'danger', hidden: true, id: 'confirm-delete',
    onclick: async () => {
      try {
        const result = await api('DELETE', path);
        toast(`Deleted ${person.name} and ${result.deleted_faces} face${result.deleted_faces === 1 ? '' : 's'}.`);
        location.hash = '#/people';
      } catch (e) { toast(e.message, 'error'); }
    } }, `Yes, delete ${person.name} and every face`);
  const ask = h('button', { type: 'button', class: 'danger', id: 'delete-person',
    onclick: () => { confirmButton.hidden = false; ask.hidden = true; confirmButton.focus(); } }, 'Delete this person');
  return h('div', { class: 'card danger-zone', 'data-edit': 'delete' }, h('h2', {}, 'Delete'), ask, confirmButton);
}
