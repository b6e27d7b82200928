// api — fetch wrapper for the JSON API. Every state-changing call carries
// the X-Smsvault-Csrf header the server demands; cookies stay same-origin.
export class ApiError extends Error {
  constructor(status, data) {
    super((data && data.message) || `HTTP ${status}`);
    this.status = status;
    this.data = data || {};
  }
}

let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

async function parse(res) {
  const type = res.headers.get('Content-Type') || '';
  if (type.startsWith('application/json')) return res.json();
  return null;
}

export async function get(path) {
  const res = await fetch(path, { credentials: 'same-origin' });
  const data = await parse(res);
  if (!res.ok) {
    if (res.status === 401 && data && data.error === 'unauthenticated') onUnauthenticated();
    throw new ApiError(res.status, data);
  }
  return data;
}

export async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Smsvault-Csrf': '1' },
    body: JSON.stringify(body || {}),
  });
  const data = await parse(res);
  if (!res.ok) {
    if (res.status === 401 && data && data.error === 'unauthenticated') onUnauthenticated();
    throw new ApiError(res.status, data);
  }
  return data;
}

// POST returning a file (export): resolves to { blob, filename }.
export async function postForFile(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Smsvault-Csrf': '1' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new ApiError(res.status, await parse(res));
  const disp = res.headers.get('Content-Disposition') || '';
  const m = /filename="([^"]+)"/.exec(disp);
  return { blob: await res.blob(), filename: m ? m[1] : 'smsvault-export' };
}

// Upload raw bytes with progress (fetch has no upload progress; XHR does).
export function upload(path, file, onProgress, contentType = 'application/octet-stream') {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Content-Type', contentType);
    xhr.setRequestHeader('X-Smsvault-Csrf', '1');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.upload.onload = () => onProgress(1);
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    };
    xhr.onerror = () => reject(new ApiError(0, { message: 'The connection to the server failed.' }));
    xhr.send(file);
  });
}
