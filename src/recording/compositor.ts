// The picture and sound of the whole channel as one MediaStream: a canvas grid with a tile per published stream
// and a Web Audio mix of every audio track. The set of sources is asked for on every frame, so the grid follows
// joins, leaves, camera off (a tile with the uid instead of the picture) and screen sharing (the stream's video
// track changes) without anyone telling the compositor.

/** One published stream of the channel, local or remote. */
export interface RecordingSource {
  uid: number;
  media: MediaStream;
  /** The user turned the camera off: the tile shows the uid instead of a frozen or black picture. */
  videoMuted: boolean;
}

export const CANVAS_WIDTH = 960;
export const CANVAS_HEIGHT = 540;
export const FRAME_RATE = 15;

/**
 * Calls `fn` every `ms` from a worker's timer: a page in the background gets its own timers throttled to once a
 * second or less, and requestAnimationFrame not at all, but still receives messages, so the recording keeps its
 * frame rate while the user looks at another tab. Returns the stop function.
 */
function tick(ms: number, fn: () => void): () => void {
  try {
    const url = URL.createObjectURL(
      new Blob([`setInterval(() => postMessage(0), ${ms});`], { type: 'text/javascript' }),
    );
    const worker = new Worker(url);
    URL.revokeObjectURL(url);
    worker.onmessage = fn;
    return () => worker.terminate();
  } catch {
    // No blob: workers here (a strict Content-Security-Policy): a page timer, full rate while the page is visible.
    const timer = setInterval(fn, ms);
    return () => clearInterval(timer);
  }
}

interface Tile {
  video: HTMLVideoElement;
  videoTrack: MediaStreamTrack | null;
  audioTrack: MediaStreamTrack | null;
  audioNode: MediaStreamAudioSourceNode | null;
}

export class Compositor {
  readonly stream: MediaStream;
  private readonly canvas = document.createElement('canvas');
  private readonly g: CanvasRenderingContext2D;
  private readonly audio = new AudioContext();
  private readonly mix: MediaStreamAudioDestinationNode;
  private readonly tiles = new Map<number, Tile>();
  private readonly ticker: () => void;

  constructor(private readonly sources: () => RecordingSource[]) {
    this.canvas.width = CANVAS_WIDTH;
    this.canvas.height = CANVAS_HEIGHT;
    this.g = this.canvas.getContext('2d', { alpha: false })!;
    this.mix = this.audio.createMediaStreamDestination();
    // Without any source the mix would produce no audio frames, and MediaRecorder would write no audio track.
    const silence = this.audio.createConstantSource();
    silence.offset.value = 0;
    silence.connect(this.mix);
    silence.start();
    void this.audio.resume();
    this.draw();
    this.ticker = tick(1000 / FRAME_RATE, () => this.draw());
    this.stream = new MediaStream([
      ...this.canvas.captureStream(FRAME_RATE).getVideoTracks(),
      ...this.mix.stream.getAudioTracks(),
    ]);
  }

  close(): void {
    this.ticker();
    for (const uid of [...this.tiles.keys()]) this.drop(uid);
    this.stream.getTracks().forEach((t) => t.stop());
    void this.audio.close();
  }

  private draw(): void {
    const list = this.sources();
    const present = new Set(list.map((s) => s.uid));
    for (const uid of [...this.tiles.keys()]) if (!present.has(uid)) this.drop(uid);
    const g = this.g;
    g.fillStyle = '#000';
    g.fillRect(0, 0, CANVAS_WIDTH, CANVAS_HEIGHT);
    if (list.length === 0) return;
    const cols = Math.ceil(Math.sqrt(list.length));
    const rows = Math.ceil(list.length / cols);
    const w = CANVAS_WIDTH / cols;
    const h = CANVAS_HEIGHT / rows;
    list.forEach((source, i) => {
      const tile = this.sync(source);
      const x = (i % cols) * w;
      const y = Math.floor(i / cols) * h;
      const v = tile.video;
      if (!source.videoMuted && tile.videoTrack?.readyState === 'live' && v.videoWidth > 0) {
        const scale = Math.min(w / v.videoWidth, h / v.videoHeight);
        const dw = v.videoWidth * scale;
        const dh = v.videoHeight * scale;
        g.drawImage(v, x + (w - dw) / 2, y + (h - dh) / 2, dw, dh);
      } else {
        g.fillStyle = '#222';
        g.fillRect(x + 2, y + 2, w - 4, h - 4);
        g.fillStyle = '#ccc';
        g.font = `${Math.round(h / 8)}px sans-serif`;
        g.textAlign = 'center';
        g.textBaseline = 'middle';
        g.fillText(`uid ${source.uid}`, x + w / 2, y + h / 2);
      }
    });
  }

  /** The tile of a source, its video element and audio node following the stream's current tracks. */
  private sync(source: RecordingSource): Tile {
    let tile = this.tiles.get(source.uid);
    if (!tile) {
      const video = document.createElement('video');
      video.muted = true;
      video.playsInline = true;
      tile = { video, videoTrack: null, audioTrack: null, audioNode: null };
      this.tiles.set(source.uid, tile);
    }
    const videoTrack = source.media.getVideoTracks()[0] ?? null;
    const audioTrack = source.media.getAudioTracks()[0] ?? null;
    if (videoTrack !== tile.videoTrack || audioTrack !== tile.audioTrack) {
      // The element also plays the audio (muted): Chromium feeds a remote track to Web Audio only while an
      // element plays it.
      tile.video.srcObject = new MediaStream([videoTrack, audioTrack].filter((t) => t !== null));
      void tile.video.play().catch(() => undefined);
      tile.videoTrack = videoTrack;
    }
    if (audioTrack !== tile.audioTrack) {
      tile.audioNode?.disconnect();
      tile.audioNode = null;
      if (audioTrack) {
        tile.audioNode = this.audio.createMediaStreamSource(new MediaStream([audioTrack]));
        tile.audioNode.connect(this.mix);
      }
      tile.audioTrack = audioTrack;
    }
    return tile;
  }

  private drop(uid: number): void {
    const tile = this.tiles.get(uid);
    if (!tile) return;
    tile.audioNode?.disconnect();
    tile.video.srcObject = null;
    this.tiles.delete(uid);
  }
}
