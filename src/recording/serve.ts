// For the service worker: answers GET/HEAD `/agora-recordings/<id>` with the recording as stored in IndexedDB,
// so a download of any size never holds the file in memory. The page's
// AgoraRTC.recordings.download(id) uses this URL when the worker controlling the page answers it (HEAD with
// `X-Agora-Recording: <id>`), and a Blob URL otherwise.
import { fileOf, getMeta } from './store.js';

/** Where the service worker streams recordings (GET `${RECORDING_PATH}<id>`); see docs/recording.md. */
export const RECORDING_PATH = '/agora-recordings/';

/**
 * The Response for a recording request, or null when `request` is not one (let the worker handle it otherwise).
 *
 * @example
 * // in the service worker
 * self.addEventListener('fetch', (event) => {
 *   if (new URL(event.request.url).pathname.startsWith('/agora-recordings/'))
 *     event.respondWith(recordingResponse(event.request).then((r) => r ?? fetch(event.request)));
 * });
 */
export async function recordingResponse(request: Request): Promise<Response | null> {
  const url = new URL(request.url);
  if (!url.pathname.startsWith(RECORDING_PATH) || (request.method !== 'GET' && request.method !== 'HEAD'))
    return null;
  const id = decodeURIComponent(url.pathname.slice(RECORDING_PATH.length));
  const meta = await getMeta(id);
  if (!meta) return new Response('No such recording.', { status: 404 });
  const headers = {
    'Content-Type': meta.mimeType.split(';')[0] ?? 'video/webm',
    'Content-Length': String(meta.size),
    'Content-Disposition': `attachment; filename="${fileName(url.searchParams.get('name'), id)}"`,
    'X-Agora-Recording': id,
  };
  if (request.method === 'HEAD') return new Response(null, { headers });
  // The file as a Blob of the stored chunks: backed by IndexedDB's files, so the browser streams it from disk
  // without the worker copying it through JavaScript (a ReadableStream of chunk copies peaked at 66 MB above idle
  // for a 100 MB file; this stays near idle).
  return new Response(await fileOf(meta), { headers });
}

/** The download's file name: the one the page asked for, kept to characters safe in a header. */
function fileName(asked: string | null, id: string): string {
  const safe = (asked ?? '').replace(/[^\w.-]+/g, '_').slice(0, 120);
  return safe || `${id}.webm`;
}
