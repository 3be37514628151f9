// Renders the OpenAPI document on the API reference page (/api/docs). Served from the same
// origin as a file, so the page needs no inline script (and no 'unsafe-inline' in its CSP).
(async () => {
  const main = document.getElementById('main');
  const status = document.getElementById('status');
  const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
  try {
    const doc = await (await fetch('/api/v1/openapi.json')).json();
    const byTag = {};
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const tag = (op.tags && op.tags[0]) || 'other';
        (byTag[tag] ||= []).push({ path, method, op });
      }
    }
    let html = '';
    for (const [tag, ops] of Object.entries(byTag)) {
      html += `<h2>${esc(tag)}</h2>`;
      for (const { path, method, op } of ops) {
        const responses = Object.entries(op.responses || {}).map(([code, r]) => `<li><code>${esc(code)}</code> ${esc(r.description)}</li>`).join('');
        const body = op.requestBody ? `<pre>${esc(JSON.stringify(op.requestBody.content, null, 2))}</pre>` : '';
        html += `<section class="op"><h3><span class="method">${esc(method)}</span> <code>${esc(path)}</code></h3>
          <p>${esc(op.summary || '')} ${esc(op.description || '')}</p>
          ${op.security ? '<p>Needs signing in (bearer token) where marked.</p>' : ''}
          ${body ? '<details><summary>Request body</summary>' + body + '</details>' : ''}
          <p>Answers:</p><ul>${responses}</ul></section>`;
      }
    }
    html += `<h2>Schemas</h2><pre>${esc(JSON.stringify(doc.components.schemas, null, 2))}</pre>`;
    main.innerHTML = html;
  } catch (e) {
    status.textContent = 'The reference could not be loaded: ' + e;
  }
})();
