// /docs: every operation of /openapi.json with its parameters, a curl example and a "try it"
// form, drawn in the browser so that the page can never drift from the served document.
import { session } from './api.js';
import { h, replace, field } from './dom.js';

const root = document.getElementById('docs');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
// Plausible values for the examples, by field name.
const SAMPLES = {
  username: 'alice', password: 'a-long-password', class_id: 'emp-0042', name: 'Ada Lovelace', info: 'Engineering',
  role: 'operator', k: '5', threshold: '0.5', min_confidence: '80', kind: 'exact', expires_in_days: 90,
  image_id: '1', id: '1', search: 'ada', offset: '0', limit: '50',
};

// Kept in memory only: the page reads the console's session if this tab has one.
let token = (session.load() || {}).token || '';

async function main() {
  let doc;
  try {
    const response = await fetch('/openapi.json');
    doc = await response.json();
  } catch (e) {
    replace(root, h('p', { class: 'error', role: 'alert' }, `Could not load /openapi.json: ${e.message}`));
    return;
  }
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = (operation.tags && operation.tags[0]) || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, operation });
    }
  }
  const tags = [...byTag.keys()].sort();
  const tokenInput = h('input', { type: 'password', value: token, autocomplete: 'off', id: 'docs-token',
    oninput: () => { token = tokenInput.value.trim(); } });
  const toc = h('nav', { class: 'docs-toc', 'aria-label': 'Operations' },
    tags.map((tag) => h('div', {}, h('strong', {}, tag),
      h('ul', {}, byTag.get(tag).map((o) => h('li', {}, h('a', { href: `#${anchor(o)}` }, `${o.method.toUpperCase()} ${o.path}`)))))));
  const sections = tags.map((tag) => h('section', {}, h('h2', {}, tag), byTag.get(tag).map((o) => operationCard(doc, o))));
  replace(root,
    h('h1', { tabindex: '-1' }, doc.info.title, ' API ', h('span', { class: 'muted' }, doc.info.version)),
    h('p', {}, doc.info.description || ''),
    h('div', { class: 'card' }, field('Bearer token for "Try it" (a login token or an API key; filled in when you are logged in to the console in this tab)', tokenInput)),
    h('div', { class: 'docs-layout' }, toc, h('div', { id: 'operations' }, sections)));
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

function anchor({ method, path }) { return `${method}-${path.replace(/[^a-zA-Z0-9]+/g, '-')}`; }

function resolve(doc, schema) {
  if (schema && schema.$ref) return resolve(doc, doc.components.schemas[schema.$ref.split('/').pop()]);
  return schema || {};
}

function typeName(doc, schema) {
  if (!schema) return '';
  if (schema.$ref) return schema.$ref.split('/').pop();
  if (schema.oneOf) return schema.oneOf.map((s) => typeName(doc, s)).join(' or ');
  if (schema.type === 'array') return `array of ${typeName(doc, schema.items)}`;
  if (schema.format === 'binary') return 'file';
  if (schema.enum) return `${schema.type}: ${schema.enum.join(', ')}`;
  return schema.type || 'any';
}

function example(doc, schema, name) {
  const s = resolve(doc, schema);
  if (name in SAMPLES) return SAMPLES[name];
  if (s.enum) return s.enum[0];
  switch (s.type) {
    case 'object': return Object.fromEntries(Object.entries(s.properties || {})
      .filter(([key]) => (s.required || []).includes(key) || key in SAMPLES)
      .map(([key, value]) => [key, example(doc, value, key)]));
    case 'array': return [];
    case 'integer': return 1;
    case 'number': return 0.5;
    case 'boolean': return true;
    default: return 'text';
  }
}

function bodyOf(doc, operation) {
  const content = operation.requestBody && operation.requestBody.content;
  if (!content) return null;
  // Uploads are shown as forms; the same fields also go as JSON with images in base64.
  const type = content['multipart/form-data'] ? 'multipart/form-data' : Object.keys(content)[0];
  const schema = resolve(doc, content[type].schema);
  return { type, schema, required: schema.required || [], alsoJSON: type !== 'application/json' && !!content['application/json'] };
}

function operationCard(doc, o) {
  const { path, method, operation } = o;
  const parameters = operation.parameters || [];
  const body = bodyOf(doc, operation);
  const open = Array.isArray(operation.security) && operation.security.length === 0;
  const responses = Object.entries(operation.responses || {}).map(([status, r]) => {
    const content = r.content && r.content['application/json'];
    return h('li', {}, h('code', {}, status), ` ${r.description}`, content ? ` (${typeName(doc, content.schema)})` : '');
  });

  const fields = [
    ...parameters.map((p) => ({ name: p.name, where: p.in, required: p.required, schema: p.schema })),
    ...(body ? Object.entries(body.schema.properties || {}).map(([name, schema]) => ({
      name, where: body.type === 'application/json' ? 'json' : 'form', required: body.required.includes(name), schema })) : []),
  ];
  const table = fields.length ? h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, ['Name', 'In', 'Type', 'Required', 'Description'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, fields.map((f) => h('tr', {}, h('td', {}, h('code', {}, f.name)), h('td', {}, f.where),
      h('td', {}, typeName(doc, f.schema)), h('td', {}, f.required ? 'yes' : ''), h('td', {}, resolve(doc, f.schema).description || '')))))) : null;

  return h('article', { class: 'card operation', id: anchor(o) },
    h('h3', {}, h('span', { class: `method ${method}` }, method.toUpperCase()), h('code', {}, path)),
    h('p', {}, operation.summary || ''),
    h('p', { class: 'muted' }, open ? 'No token needed.' : 'Needs a token: Authorization: Bearer <token or API key>.'),
    table,
    body && body.alsoJSON ? h('p', { class: 'muted' }, 'The same fields may be sent as a JSON object, with images as base64 or data: URLs.') : null,
    h('h4', {}, 'Example'), h('pre', {}, h('code', {}, curl(doc, o, parameters, body, open))),
    h('h4', {}, 'Responses'), h('ul', {}, responses),
    tryIt(doc, o, parameters, body));
}

function curl(doc, { path, method }, parameters, body, open) {
  let url = `${location.origin}${path.replace(/\{(\w+)\}/g, (_, name) => SAMPLES[name] || name)}`;
  const query = parameters.filter((p) => p.in === 'query' && p.required);
  if (query.length) url += `?${query.map((p) => `${p.name}=${SAMPLES[p.name] || 'value'}`).join('&')}`;
  const lines = [`curl -X ${method.toUpperCase()} '${url}'`];
  if (!open) lines.push(`  -H "Authorization: Bearer $TOKEN"`);
  if (body && body.type === 'application/json') {
    lines.push(`  -H 'Content-Type: application/json'`, `  -d '${JSON.stringify(example(doc, body.schema, ''))}'`);
  } else if (body) {
    for (const [name, schema] of Object.entries(body.schema.properties || {})) {
      if (!body.required.includes(name)) continue;
      lines.push(schema.format === 'binary' ? `  -F ${name}=@photo.jpg` : `  -F ${name}=${SAMPLES[name] || 'value'}`);
    }
  }
  return lines.join(' \\\n');
}

// A form with one input per parameter; the answer is shown as it came.
function tryIt(doc, o, parameters, body) {
  const { path, method } = o;
  const inputs = parameters.map((p) => ({ p, input: h('input', { name: p.name, value: p.in === 'path' ? SAMPLES[p.name] || '' : '', required: p.required }) }));
  let bodyInputs = [];
  let jsonInput = null;
  if (body && body.type === 'application/json') {
    jsonInput = h('textarea', { rows: 4, name: 'body', spellcheck: 'false' }, JSON.stringify(example(doc, body.schema, ''), null, 2));
  } else if (body) {
    bodyInputs = Object.entries(body.schema.properties || {}).map(([name, schema]) => ({
      name, binary: schema.format === 'binary',
      input: schema.format === 'binary' ? h('input', { type: 'file', name, accept: 'image/*' }) : h('input', { name }),
    }));
  }
  const output = h('pre', { hidden: true, 'aria-live': 'polite' });
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      let url = path;
      for (const { p, input } of inputs.filter(({ p: x }) => x.in === 'path')) url = url.replace(`{${p.name}}`, encodeURIComponent(input.value));
      const query = new URLSearchParams();
      for (const { p, input } of inputs.filter(({ p: x }) => x.in === 'query')) if (input.value) query.set(p.name, input.value);
      if (query.toString()) url += `?${query}`;
      const headers = {};
      if (token) headers.Authorization = `Bearer ${token}`;
      let requestBody;
      if (jsonInput) {
        headers['Content-Type'] = 'application/json';
        requestBody = jsonInput.value;
      } else if (bodyInputs.length) {
        requestBody = new FormData();
        for (const b of bodyInputs) {
          if (b.binary) { for (const f of b.input.files) requestBody.append(b.name, f); } else if (b.input.value) requestBody.append(b.name, b.input.value);
        }
      }
      output.hidden = false;
      output.textContent = '…';
      try {
        const response = await fetch(url, { method: method.toUpperCase(), headers, body: requestBody });
        const text = await response.text();
        let shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON */ }
        output.textContent = `${response.status} ${response.statusText}\n\n${shown}`;
      } catch (e) {
        output.textContent = `The request failed: ${e.message}`;
      }
    } },
  inputs.length || bodyInputs.length || jsonInput ? h('div', { class: 'grid' },
    inputs.map(({ p, input }) => field(`${p.name} (${p.in})`, input)),
    bodyInputs.map((b) => field(b.name, b.input)),
    jsonInput ? field('JSON body', jsonInput) : null) : null,
  h('button', { type: 'submit' }, `Send ${method.toUpperCase()} ${path}`));
  return h('details', {}, h('summary', {}, 'Try it'), form, output);
}

main();
