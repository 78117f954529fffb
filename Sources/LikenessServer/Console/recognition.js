// Identify (who is in this photo?) and verify (are these the same person?).
import { api } from './api.js';
import { h, replace, field, similarity } from './dom.js';

let shownURL = null;

// An uploaded photo shown from a blob: URL, released when the next one replaces it.
function photoURL(file) {
  if (shownURL) URL.revokeObjectURL(shownURL);
  shownURL = URL.createObjectURL(file);
  return shownURL;
}

export async function identifyView() {
  const file = h('input', { type: 'file', name: 'file', accept: 'image/*', required: true, id: 'identify-file' });
  const k = h('input', { type: 'number', name: 'k', min: 1, max: 100, value: 3, inputmode: 'numeric' });
  const liveness = h('input', { type: 'checkbox', name: 'liveness' });
  const attributes = h('input', { type: 'checkbox', name: 'attributes' });
  const output = h('div', { id: 'identify-output', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Identify');

  const form = h('form', { class: 'card', id: 'identify-form',
    onsubmit: async (event) => {
      event.preventDefault();
      const photo = file.files[0];
      if (!photo) return;
      const body = new FormData();
      body.append('file', photo);
      body.append('k', k.value || '3');
      if (liveness.checked) body.append('liveness', 'true');
      if (attributes.checked) body.append('attributes', 'true');
      submit.disabled = true;
      replace(output, h('p', { class: 'muted' }, 'Identifying…'));
      try {
        const result = await api('POST', '/v1/identify', { form: body });
        replace(output, await identification(photoURL(photo), result));
      } catch (e) {
        replace(output, h('p', { class: 'error', role: 'alert' }, e.message));
      } finally {
        submit.disabled = false;
      }
    } },
  h('div', { class: 'grid' }, field('Photo', file), field('Matches per face', k)),
  h('div', { class: 'row' },
    h('label', { class: 'check' }, liveness, ' Check liveness'),
    h('label', { class: 'check' }, attributes, ' Estimate age and gender')),
  submit);

  return h('section', {}, h('h1', { tabindex: '-1' }, 'Identify'),
    h('p', { class: 'muted' }, 'Upload a photo: every face found is searched in the gallery.'), form, output);
}

// The photo with a box, landmarks and a label per face, then the same as a list.
async function identification(url, result) {
  const img = h('img', { src: url, alt: `Uploaded photo with ${result.faces.length} face${result.faces.length === 1 ? '' : 's'} found` });
  await new Promise((resolve) => { img.onload = resolve; img.onerror = resolve; });
  const width = img.naturalWidth || 1;
  const height = img.naturalHeight || 1;
  const stage = h('figure', { class: 'stage', id: 'identify-stage' }, img);

  const items = result.faces.map((face, i) => {
    const best = face.matches[0];
    const known = !!best;
    const label = known ? `${best.name || best.class_id} ${similarity(best.similarity)}` : unknownLabel(face);
    const [x, y, w, hgt] = face.box;
    const below = y < 0.05 * height;
    const box = h('div', { class: `face-box ${known ? 'known' : 'unknown'}${below ? ' label-below' : ''}`, 'data-face': i + 1, 'data-name': known ? best.name : '' },
      h('span', { class: 'face-label' }, `${i + 1}. ${label}`));
    // Percentages keep the boxes on the faces whatever size the photo is shown at; style set
    // through the DOM is allowed by the page's CSP, inline style attributes are not.
    Object.assign(box.style, { left: pct(x, width), top: pct(y, height), width: pct(w, width), height: pct(hgt, height) });
    stage.append(box);
    for (const [lx, ly] of face.landmarks || []) {
      const dot = h('span', { class: 'landmark', 'aria-hidden': 'true' });
      Object.assign(dot.style, { left: pct(lx, width), top: pct(ly, height) });
      stage.append(dot);
    }
    return h('li', { class: 'card' },
      h('p', {}, h('strong', {}, `Face ${i + 1}: `), known ? h('a', { href: `#/people/${encodeURIComponent(best.class_id)}` }, best.name || best.class_id) : 'unknown'),
      known ? h('ul', { class: 'matches' }, face.matches.map((m) => h('li', {},
        `${m.name} (${m.class_id}): similarity ${similarity(m.similarity)}${m.confidence != null ? `, confidence ${m.confidence}` : ''}`)))
        : h('p', { class: 'muted' }, face.nearest
          ? `Nearest: ${face.nearest.name} (${face.nearest.class_id}) at ${similarity(face.nearest.similarity)}, below the threshold ${similarity(result.threshold)}`
          : face.spoof ? 'Not searched: it looks like a spoof.' : face.quality_refusal ? `Not searched: ${face.quality_refusal.message}` : 'The gallery is empty.'),
      extras(face));
  });
  stage.append(h('figcaption', { class: 'muted' },
    `${result.faces.length} face${result.faces.length === 1 ? '' : 's'}, threshold ${similarity(result.threshold)} (${result.threshold_applied.basis}), ${result.recognizer}, ${Math.round(result.processing_time * 1000)} ms`));
  return h('div', {}, stage, result.faces.length ? h('ol', { class: 'results', id: 'identify-results' }, items) : h('p', {}, 'No face found in this photo.'));
}

function unknownLabel(face) {
  if (face.spoof) return 'spoof';
  if (face.nearest) return `unknown (nearest ${similarity(face.nearest.similarity)})`;
  return 'unknown';
}

function extras(face) {
  const parts = [];
  if (face.liveness) parts.push(`liveness ${similarity(face.liveness.score)} (${face.liveness.real ? 'real' : 'spoof'})`);
  if (face.age != null) parts.push(`age about ${face.age}`);
  if (face.gender) parts.push(face.gender);
  if (face.quality) parts.push(`quality ${face.quality.overall}`);
  return parts.length ? h('p', { class: 'muted' }, parts.join(', ')) : null;
}

function pct(value, total) { return `${(100 * value / total).toFixed(3)}%`; }

export async function verifyView() {
  const first = h('input', { type: 'file', name: 'file', accept: 'image/*', required: true, id: 'verify-file' });
  const second = h('input', { type: 'file', name: 'file2', accept: 'image/*', id: 'verify-file2' });
  const classID = h('input', { name: 'class_id', id: 'verify-class', autocomplete: 'off' });
  const photoMode = h('input', { type: 'radio', name: 'mode', value: 'photo', checked: true });
  const personMode = h('input', { type: 'radio', name: 'mode', value: 'person' });
  const secondField = field('Second photo', second);
  const personField = field('class_id of the person', classID);
  const sync = () => { secondField.hidden = !photoMode.checked; personField.hidden = photoMode.checked; };
  photoMode.addEventListener('change', sync);
  personMode.addEventListener('change', sync);
  sync();
  const output = h('div', { id: 'verify-output', 'aria-live': 'polite' });

  const form = h('form', { class: 'card', id: 'verify-form',
    onsubmit: async (event) => {
      event.preventDefault();
      const body = new FormData();
      if (!first.files[0]) return;
      body.append('file', first.files[0]);
      if (photoMode.checked) {
        if (!second.files[0]) { replace(output, h('p', { class: 'error', role: 'alert' }, 'Choose a second photo.')); return; }
        body.append('file2', second.files[0]);
      } else {
        body.append('class_id', classID.value.trim());
      }
      replace(output, h('p', { class: 'muted' }, 'Comparing…'));
      try {
        const r = await api('POST', '/v1/verify', { form: body });
        replace(output, h('div', { class: `card verdict ${r.same_person ? 'known' : 'unknown'}`, id: 'verify-result' },
          h('p', { class: 'big' }, r.same_person ? 'Same person' : 'Not the same person'),
          h('p', {}, `Similarity ${similarity(r.similarity)} against the threshold ${similarity(r.threshold)}${r.confidence != null ? `; confidence ${r.confidence} of 100` : ''}.`),
          h('p', { class: 'muted' }, r.threshold_applied.reason)));
      } catch (e) {
        replace(output, h('p', { class: 'error', role: 'alert' }, e.message));
      }
    } },
  h('fieldset', {}, h('legend', {}, 'Compare with'),
    h('label', { class: 'check' }, photoMode, ' another photo'),
    h('label', { class: 'check' }, personMode, ' an enrolled person')),
  h('div', { class: 'grid' }, field('Photo', first), secondField, personField),
  h('button', { type: 'submit', class: 'primary' }, 'Verify'));

  return h('section', {}, h('h1', { tabindex: '-1' }, 'Verify'),
    h('p', { class: 'muted' }, 'The largest face of each photo is compared.'), form, output);
}
