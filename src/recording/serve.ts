// For the service worker: answers GET/HEAD `/agora-recordings/<id>` by streaming the recording out of IndexedDB
// a chunk at a time, so a download of any size never holds the file in memory. The page's
// AgoraRTC.recordings.download(id) uses this URL when the worker controlling the page answers it (HEAD with
// `X-Agora-Recording: <id>`), and a Blob URL otherwise.
import { chunksOf, getMeta } from './store.js';

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
  const parts = (async function* () {
    if (meta.head) yield meta.head;
    // Bytes [from, to) of the stored chunks make the rest of the file.
    const from = meta.head ? (meta.skip ?? 0) : 0;
    const to = meta.end ?? meta.size;
    let at = 0;
    for await (const chunk of chunksOf(meta)) {
      const part = chunk.slice(Math.max(0, from - at), Math.max(0, to - at));
      at += chunk.size;
      if (part.size > 0) yield part;
    }
  })();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await parts.next();
      if (next.done) controller.close();
      else controller.enqueue(new Uint8Array(await next.value.arrayBuffer()));
    },
  });
  return new Response(body, { headers });
}

/** The download's file name: the one the page asked for, kept to characters safe in a header. */
function fileName(asked: string | null, id: string): string {
  const safe = (asked ?? '').replace(/[^\w.-]+/g, '_').slice(0, 120);
  return safe || `${id}.webm`;
}
